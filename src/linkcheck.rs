//! `ferropress check links`: every internal link and image in published
//! content, asked of the running site; what does not answer `200` (after at
//! most a few of the site's own redirects) is listed with the pages that
//! use it.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::db::AnyConnection;
use crate::models::post::all_posts_after;

/// The site's own addresses in a page: `href`, `src` and `srcset` values
/// that are paths (`/…`) or start with the site's URL, without fragments.
/// The HTML is the sanitiser's own output: attributes double-quoted.
pub fn internal_links(html: &str, site_url: &str) -> Vec<String> {
    static ATTRIBUTE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\s(href|src|srcset)="([^"]*)""#).expect("valid pattern"));
    let mut links = Vec::new();
    for found in ATTRIBUTE.captures_iter(html) {
        let value = found[2].replace("&amp;", "&");
        let candidates: Vec<&str> = if &found[1] == "srcset" {
            value
                .split(',')
                .filter_map(|candidate| candidate.split_whitespace().next())
                .collect()
        } else {
            vec![value.trim()]
        };
        for url in candidates {
            let path = match url.strip_prefix(site_url) {
                Some(rest) if rest.starts_with('/') => rest,
                _ if url.starts_with('/') && !url.starts_with("//") => url,
                _ => continue,
            };
            let path = path.split('#').next().unwrap_or(path);
            if !path.is_empty() {
                links.push(path.to_owned());
            }
        }
    }
    links
}

/// A link that does not answer `200`, and where it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub path: String,
    /// The final status (`0`: no answer at all).
    pub status: u16,
    /// The pages that use it.
    pub used_on: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkReport {
    pub checked: usize,
    pub broken: Vec<BrokenLink>,
}

/// Every internal link of published posts and pages, by path, with the
/// pages that use it.
pub fn published_links(
    conn: &mut AnyConnection,
    site_url: &str,
) -> diesel::QueryResult<BTreeMap<String, Vec<String>>> {
    let now = crate::models::now();
    let mut links: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut after = 0;
    loop {
        let batch = all_posts_after(conn, after, 200)?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for post in batch.iter().filter(|post| post.is_public(now)) {
            let page = post.permalink();
            for link in internal_links(&post.body_html, site_url) {
                let pages = links.entry(link).or_default();
                if !pages.contains(&page) {
                    pages.push(page.clone());
                }
            }
        }
    }
    Ok(links)
}

/// Asks the site at `address` (`127.0.0.1:8080`) for each link.
pub async fn check(address: &str, links: BTreeMap<String, Vec<String>>) -> LinkReport {
    let mut report = LinkReport {
        checked: links.len(),
        broken: Vec::new(),
    };
    for (path, used_on) in links {
        let status = final_status(address, &path).await;
        if status != 200 {
            report.broken.push(BrokenLink {
                path,
                status,
                used_on,
            });
        }
    }
    report
}

/// The status of `path`, following up to three of the site's own redirects.
async fn final_status(address: &str, path: &str) -> u16 {
    let mut path = path.to_owned();
    for _ in 0..4 {
        let Some((status, location)) = ask(address, &path).await else {
            return 0;
        };
        match (status, location) {
            (301 | 302 | 303 | 307 | 308, Some(next)) if next.starts_with('/') => path = next,
            (status, _) => return status,
        }
    }
    0
}

/// One `GET` over HTTP/1.1: the status and any `Location`.
async fn ask(address: &str, path: &str) -> Option<(u16, Option<String>)> {
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    let path = crate::domain::slug::percent_encode_path(path);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: ferropress-linkcheck\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < 65_536 {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let location = lines.take_while(|line| !line.is_empty()).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| crate::domain::slug::percent_decode(value.trim()))
    });
    Some((status, location))
}

#[cfg(test)]
mod tests {
    use super::internal_links;

    #[test]
    fn only_the_sites_own_addresses_are_checked() {
        let html = r#"<p><a href="/2023/01/02/x/#comment-3">a</a> <a href="https://blog.example/about/">b</a>
            <a href="https://elsewhere.example/">c</a> <a href="//cdn.example/x">d</a> <a href="mailto:x@example.org">e</a>
            <img src="/wp-content/uploads/a.jpg" srcset="/wp-content/uploads/a-300x200.jpg 300w, /wp-content/uploads/a.jpg 800w"></p>"#;
        assert_eq!(
            internal_links(html, "https://blog.example"),
            [
                "/2023/01/02/x/",
                "/about/",
                "/wp-content/uploads/a.jpg",
                "/wp-content/uploads/a-300x200.jpg",
                "/wp-content/uploads/a.jpg"
            ]
        );
    }
}
