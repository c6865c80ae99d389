//! A streaming WXR reader (quick-xml): yields authors, categories and items
//! one at a time, so a 1 GB export never needs 1 GB of memory.

use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::Reader;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WxrAuthor {
    /// WordPress's user id (`/?author=ID`).
    pub id: i64,
    pub login: String,
    pub email: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WxrCategory {
    /// WordPress's term id (`/?cat=ID`).
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub parent_slug: String,
    pub description: String,
}

/// A `<wp:tag>`: its WordPress term id (`/?tag_id=ID`), slug and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WxrTag {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WxrComment {
    pub id: i64,
    pub author: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub date_gmt: String,
    pub date: String,
    pub content: String,
    /// `1`, `0`, `spam`, `trash`, `post-trashed`.
    pub approved: String,
    /// `comment` (or empty), `pingback`, `trackback`.
    pub comment_type: String,
    pub parent: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WxrItem {
    pub title: String,
    pub link: String,
    pub pub_date: String,
    pub creator: String,
    pub content: String,
    pub excerpt: String,
    pub id: i64,
    pub date_gmt: String,
    pub date: String,
    pub comment_status: String,
    pub slug: String,
    pub status: String,
    pub post_type: String,
    /// (slug, name) of each `<category domain="category">`.
    pub categories: Vec<(String, String)>,
    /// (slug, name) of each `<category domain="post_tag">`.
    pub tags: Vec<(String, String)>,
    pub comments: Vec<WxrComment>,
    /// The parent page; for an attachment, the post it was uploaded to.
    pub parent: i64,
    pub menu_order: i64,
    pub sticky: bool,
    /// An attachment's file, as WordPress served it.
    pub attachment_url: String,
    /// `wp:post_password`: readers must type it to see the post.
    pub password: String,
    /// The post format (`aside`, `quote`…), from its `post_format` term
    /// (`post-format-aside`); empty for a standard post.
    pub post_format: String,
    /// `<wp:postmeta>` pairs: `_thumbnail_id`, `_wp_attached_file`,
    /// `_wp_attachment_metadata`, `_wp_attachment_image_alt`…
    pub meta: Vec<(String, String)>,
    /// The key of the `<wp:postmeta>` being read.
    meta_key: String,
}

impl WxrItem {
    /// The value of a `<wp:postmeta>` key.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WxrRecord {
    Author(WxrAuthor),
    Category(WxrCategory),
    Tag(WxrTag),
    Item(Box<WxrItem>),
}

#[derive(Debug, thiserror::Error)]
pub enum WxrError {
    #[error("not well-formed XML at byte {position}: {message}")]
    Xml { position: u64, message: String },
    #[error("this is not a WordPress export (no <rss><channel>)")]
    NotWxr,
}

impl WxrError {
    pub fn position(&self) -> Option<u64> {
        match self {
            WxrError::Xml { position, .. } => Some(*position),
            WxrError::NotWxr => None,
        }
    }
}

/// What is being read: the record under construction.
enum Building {
    Nothing,
    Author(WxrAuthor),
    Category(WxrCategory),
    Tag(WxrTag),
    Item(Box<WxrItem>, Option<WxrComment>),
}

/// WordPress stores titles, names and category descriptions as HTML
/// (`Health &amp; Fitness`); ferropress stores text, escaped once on
/// output. Entities are decoded here, once.
pub fn html_text(value: &str) -> String {
    if value.contains('&') {
        html_escape::decode_html_entities(value).into_owned()
    } else {
        value.to_owned()
    }
}

pub struct WxrReader<R: BufRead> {
    reader: Reader<R>,
    buffer: Vec<u8>,
    stack: Vec<String>,
    text: String,
    building: Building,
    category_attributes: (String, String),
    saw_channel: bool,
    site: WxrSite,
}

/// What the export says of the site itself (`<channel>`'s own elements).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WxrSite {
    /// Settings > General's "Site Title".
    pub title: String,
    /// Its "Tagline".
    pub description: String,
    /// `en-US`, `de-CH`…
    pub language: String,
}

impl<R: BufRead> WxrReader<R> {
    pub fn new(input: R) -> WxrReader<R> {
        let reader = Reader::from_reader(input);
        WxrReader {
            reader,
            buffer: Vec::with_capacity(64 * 1024),
            stack: Vec::new(),
            text: String::new(),
            building: Building::Nothing,
            category_attributes: (String::new(), String::new()),
            saw_channel: false,
            site: WxrSite::default(),
        }
    }

    /// The site's title, tagline and language, as read so far (they come
    /// before the first record).
    pub fn site(&self) -> &WxrSite {
        &self.site
    }

    /// Bytes read so far (for progress bars and error positions).
    pub fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn xml_error(&self, error: impl std::fmt::Display) -> WxrError {
        WxrError::Xml {
            position: self.reader.buffer_position(),
            message: error.to_string(),
        }
    }

    /// The next author, category or item; `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<WxrRecord>, WxrError> {
        loop {
            self.buffer.clear();
            let event = match self.reader.read_event_into(&mut self.buffer) {
                Ok(event) => event.into_owned(),
                Err(error) => return Err(self.xml_error(error)),
            };
            match event {
                Event::Start(start) => {
                    let decoder = self.reader.decoder();
                    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                    self.text.clear();
                    match (name.as_str(), &mut self.building) {
                        ("channel", _) => self.saw_channel = true,
                        ("item", _) => self.building = Building::Item(Box::default(), None),
                        ("wp:comment", Building::Item(_, comment)) => {
                            *comment = Some(WxrComment::default())
                        }
                        ("wp:author", Building::Nothing) => {
                            self.building = Building::Author(WxrAuthor::default())
                        }
                        ("wp:category", Building::Nothing) => {
                            self.building = Building::Category(WxrCategory::default())
                        }
                        ("wp:tag", Building::Nothing) => {
                            self.building = Building::Tag(WxrTag::default())
                        }
                        ("category", Building::Item(..)) => {
                            let mut domain = String::new();
                            let mut nicename = String::new();
                            for attribute in start.attributes().flatten() {
                                let value = attribute
                                    .decoded_and_normalized_value(
                                        quick_xml::XmlVersion::Implicit1_0,
                                        decoder,
                                    )
                                    .map(|value| value.into_owned())
                                    .unwrap_or_default();
                                match attribute.key.as_ref() {
                                    b"domain" => domain = value,
                                    b"nicename" => nicename = value,
                                    _ => {}
                                }
                            }
                            self.category_attributes = (domain, nicename);
                        }
                        _ => {}
                    }
                    self.stack.push(name);
                }
                Event::Empty(_) => {}
                Event::Text(text) => {
                    let decoded = text.decode().map_err(|error| self.xml_error(error))?;
                    self.text.push_str(&decoded);
                }
                Event::CData(data) => {
                    let decoded = data.decode().map_err(|error| self.xml_error(error))?;
                    self.text.push_str(&decoded);
                }
                Event::GeneralRef(reference) => {
                    if let Some(character) = reference
                        .resolve_char_ref()
                        .map_err(|error| self.xml_error(error))?
                    {
                        self.text.push(character);
                    } else {
                        let name = reference.decode().map_err(|error| self.xml_error(error))?;
                        let resolved = match name.as_ref() {
                            "amp" => "&",
                            "lt" => "<",
                            "gt" => ">",
                            "quot" => "\"",
                            "apos" => "'",
                            other => {
                                self.text.push('&');
                                self.text.push_str(other);
                                ";"
                            }
                        };
                        self.text.push_str(resolved);
                    }
                }
                Event::End(end) => {
                    let name = String::from_utf8_lossy(end.name().as_ref()).into_owned();
                    if self.stack.pop().as_deref() != Some(name.as_str()) {
                        return Err(self.xml_error(format!("unexpected closing tag </{name}>")));
                    }
                    let value = std::mem::take(&mut self.text);
                    if let Some(record) = self.finish_element(&name, value) {
                        return Ok(Some(record));
                    }
                }
                Event::Eof => {
                    if !self.stack.is_empty() {
                        return Err(self.xml_error(format!(
                            "the file ends inside <{}>",
                            self.stack.join("><")
                        )));
                    }
                    if !self.saw_channel {
                        return Err(WxrError::NotWxr);
                    }
                    return Ok(None);
                }
                _ => {}
            }
        }
    }

    /// Stores a finished element's text; returns a record when one is complete.
    fn finish_element(&mut self, name: &str, value: String) -> Option<WxrRecord> {
        let number = |text: &str| text.trim().parse::<i64>().unwrap_or(0);
        match &mut self.building {
            Building::Item(item, Some(comment)) => match name {
                "wp:comment" => {
                    let done = std::mem::take(comment);
                    item.comments.push(done);
                    if let Building::Item(_, open) = &mut self.building {
                        *open = None;
                    }
                }
                "wp:comment_id" => comment.id = number(&value),
                "wp:comment_author" => comment.author = html_text(&value),
                "wp:comment_author_email" => comment.author_email = value,
                "wp:comment_author_url" => comment.author_url = value,
                "wp:comment_author_IP" => comment.author_ip = value,
                "wp:comment_date_gmt" => comment.date_gmt = value,
                "wp:comment_date" => comment.date = value,
                "wp:comment_content" => comment.content = value,
                "wp:comment_approved" => comment.approved = value,
                "wp:comment_type" => comment.comment_type = value,
                "wp:comment_parent" => comment.parent = number(&value),
                _ => {}
            },
            Building::Item(item, None) => match name {
                "item" => {
                    let Building::Item(item, _) =
                        std::mem::replace(&mut self.building, Building::Nothing)
                    else {
                        return None;
                    };
                    return Some(WxrRecord::Item(item));
                }
                "title" => item.title = html_text(&value),
                "link" => item.link = value,
                "pubDate" => item.pub_date = value,
                "dc:creator" => item.creator = value,
                "content:encoded" => item.content = value,
                "excerpt:encoded" => item.excerpt = value,
                "wp:post_id" => item.id = number(&value),
                "wp:post_date_gmt" => item.date_gmt = value,
                "wp:post_date" => item.date = value,
                "wp:comment_status" => item.comment_status = value,
                "wp:post_name" => item.slug = value,
                "wp:status" => item.status = value,
                "wp:post_type" => item.post_type = value,
                "wp:post_parent" => item.parent = number(&value),
                "wp:menu_order" => item.menu_order = number(&value),
                "wp:is_sticky" => item.sticky = value.trim() == "1",
                "wp:attachment_url" => item.attachment_url = value.trim().to_owned(),
                "wp:post_password" => item.password = value,
                "wp:meta_key" => item.meta_key = value,
                "wp:meta_value" => {
                    let key = std::mem::take(&mut item.meta_key);
                    item.meta.push((key, value));
                }
                "category" => {
                    let (domain, nicename) = std::mem::take(&mut self.category_attributes);
                    match domain.as_str() {
                        "category" => item.categories.push((nicename, html_text(&value))),
                        "post_tag" => item.tags.push((nicename, html_text(&value))),
                        "post_format" => {
                            item.post_format = nicename
                                .strip_prefix("post-format-")
                                .unwrap_or(&nicename)
                                .to_owned()
                        }
                        _ => {}
                    }
                }
                _ => {}
            },
            Building::Author(author) => match name {
                "wp:author" => {
                    let Building::Author(author) =
                        std::mem::replace(&mut self.building, Building::Nothing)
                    else {
                        return None;
                    };
                    return Some(WxrRecord::Author(author));
                }
                "wp:author_id" => author.id = number(&value),
                "wp:author_login" => author.login = value,
                "wp:author_email" => author.email = value,
                "wp:author_display_name" => author.display_name = html_text(&value),
                _ => {}
            },
            Building::Category(category) => match name {
                "wp:category" => {
                    let Building::Category(category) =
                        std::mem::replace(&mut self.building, Building::Nothing)
                    else {
                        return None;
                    };
                    return Some(WxrRecord::Category(category));
                }
                "wp:term_id" => category.id = number(&value),
                "wp:category_nicename" => category.slug = value,
                "wp:cat_name" => category.name = html_text(&value),
                "wp:category_parent" => category.parent_slug = value,
                "wp:category_description" => category.description = html_text(&value),
                _ => {}
            },
            Building::Tag(tag) => match name {
                "wp:tag" => {
                    let Building::Tag(tag) =
                        std::mem::replace(&mut self.building, Building::Nothing)
                    else {
                        return None;
                    };
                    return Some(WxrRecord::Tag(tag));
                }
                "wp:term_id" => tag.id = number(&value),
                "wp:tag_slug" => tag.slug = value,
                "wp:tag_name" => tag.name = html_text(&value),
                _ => {}
            },
            Building::Nothing if self.stack.last().map(String::as_str) == Some("channel") => {
                match name {
                    "title" => self.site.title = html_text(value.trim()),
                    "description" => self.site.description = html_text(value.trim()),
                    "language" => self.site.language = value.trim().to_owned(),
                    _ => {}
                }
            }
            Building::Nothing => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/">
<channel>
<title>Blog</title>
<wp:author><wp:author_login><![CDATA[ann]]></wp:author_login><wp:author_email>ann@example.com</wp:author_email><wp:author_display_name><![CDATA[Ann Lee]]></wp:author_display_name></wp:author>
<wp:category><wp:category_nicename><![CDATA[neck]]></wp:category_nicename><wp:category_parent></wp:category_parent><wp:cat_name><![CDATA[Neck & Back]]></wp:cat_name></wp:category>
<item>
<title>Caf&#233; &amp; <![CDATA[<b>bold</b>]]></title>
<wp:post_id>7</wp:post_id>
<content:encoded><![CDATA[<p>Body with ]]]]><![CDATA[> inside</p>]]></content:encoded>
<category domain="post_tag" nicename="tag"><![CDATA[Tag]]></category>
<category domain="category" nicename="neck"><![CDATA[Neck & Back]]></category>
<wp:comment><wp:comment_id>3</wp:comment_id><wp:comment_author><![CDATA[Bo]]></wp:comment_author><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>
</item>
</channel>
</rss>"#;

    #[test]
    fn records_come_out_one_at_a_time() {
        let mut reader = WxrReader::new(SAMPLE.as_bytes());
        let Some(WxrRecord::Author(author)) = reader.next_record().unwrap() else {
            panic!("author first")
        };
        assert_eq!(
            (author.login.as_str(), author.display_name.as_str()),
            ("ann", "Ann Lee")
        );
        let Some(WxrRecord::Category(category)) = reader.next_record().unwrap() else {
            panic!("category")
        };
        assert_eq!(category.name, "Neck & Back");
        let Some(WxrRecord::Item(item)) = reader.next_record().unwrap() else {
            panic!("item")
        };
        assert_eq!(item.title, "Café & <b>bold</b>");
        assert_eq!(item.content, "<p>Body with ]]> inside</p>");
        assert_eq!(
            item.categories,
            [("neck".to_owned(), "Neck & Back".to_owned())]
        );
        assert_eq!(item.comments.len(), 1);
        assert_eq!(item.comments[0].author, "Bo");
        assert_eq!(reader.next_record().unwrap(), None);
    }

    #[test]
    fn html_titles_become_text_once() {
        assert_eq!(html_text("Health &amp; Fitness"), "Health & Fitness");
        assert_eq!(html_text("Caf&eacute; &#8217;s &lt;b&gt;"), "Café ’s <b>");
        assert_eq!(html_text("Jonas & Co"), "Jonas & Co");
        assert_eq!(
            html_text("Tom &amp;amp; Jerry"),
            "Tom &amp; Jerry",
            "once, not until nothing is left"
        );
    }

    #[test]
    fn broken_files_say_where() {
        let broken = SAMPLE.replace("</item>", "</itm>");
        let mut reader = WxrReader::new(broken.as_bytes());
        let error = loop {
            match reader.next_record() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("should fail"),
                Err(error) => break error,
            }
        };
        assert!(error.position().is_some(), "{error}");
        let mut not_wxr = WxrReader::new("<html><body/></html>".as_bytes());
        assert!(matches!(not_wxr.next_record(), Err(WxrError::NotWxr)));
    }
}
