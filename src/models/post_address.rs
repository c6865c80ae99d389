//! Where each post lives: its address built by the site's permalink
//! structure (Settings > Permalinks) from its local date (Settings >
//! General's timezone), id, slug, first category and author, kept in
//! `posts.path` so a request is one index lookup. Kept in the caller's
//! transaction whenever what it is built of changes; an address a post
//! leaves keeps answering with a `301` to where it went.

use chrono::TimeZone;
use chrono_tz::Tz;
use diesel::prelude::*;

use crate::db::schema::{categories, post_categories, posts, redirects, users};
use crate::db::AnyConnection;
use crate::domain::permalink::{AddressFields, PermalinkStructure};
use crate::domain::PostType;
use crate::models::setting::{get_setting, keys};

/// How the site builds its posts' addresses: its structure and timezone.
#[derive(Debug, Clone)]
pub struct AddressRules {
    pub structure: PermalinkStructure,
    pub timezone: Tz,
}

impl AddressRules {
    /// The site's, as its settings say (ferropress's defaults: day and
    /// name, UTC).
    pub fn of_site(conn: &mut AnyConnection) -> QueryResult<AddressRules> {
        let structure = get_setting(conn, keys::PERMALINK_STRUCTURE)?
            .and_then(|text| PermalinkStructure::parse(&text).ok())
            .unwrap_or_else(PermalinkStructure::day_and_name);
        let timezone = get_setting(conn, keys::TIMEZONE)?
            .and_then(|name| crate::render::clock::parse_timezone(&name))
            .unwrap_or(Tz::UTC);
        Ok(AddressRules {
            structure,
            timezone,
        })
    }

    /// `published_at` on the site's clock.
    pub fn local(&self, published_at: i64) -> chrono::NaiveDateTime {
        self.timezone
            .timestamp_opt(published_at, 0)
            .single()
            .map(|local| local.naive_local())
            .unwrap_or_default()
    }
}

/// What a post's address is built of, but its local date.
struct PostParts {
    id: i64,
    slug: String,
    published_at: i64,
    category: String,
    author: String,
}

fn post_parts(conn: &mut AnyConnection, post_id: i64) -> QueryResult<PostParts> {
    let (id, slug, published_at, author_id): (i64, String, i64, Option<i64>) = posts::table
        .find(post_id)
        .select((
            posts::id,
            posts::slug,
            posts::published_at,
            posts::author_id,
        ))
        .first(conn)?;
    // WordPress's `%category%`: the category with the lowest id, with its parents.
    let category: Option<String> = post_categories::table
        .inner_join(categories::table)
        .filter(post_categories::post_id.eq(post_id))
        // In the link's own index (post, category): no sort.
        .order(post_categories::category_id.asc())
        .select(categories::path)
        .first(conn)
        .optional()?;
    let author: Option<Option<String>> = match author_id {
        Some(author_id) => users::table
            .find(author_id)
            .select(users::slug)
            .first(conn)
            .optional()?,
        None => None,
    };
    Ok(PostParts {
        id,
        slug,
        published_at,
        category: category.unwrap_or_else(|| "uncategorized".to_owned()),
        author: author.flatten().unwrap_or_else(|| "author".to_owned()),
    })
}

/// The address `rules` give the post `post_id`.
pub fn address_of(
    conn: &mut AnyConnection,
    post_id: i64,
    rules: &AddressRules,
) -> QueryResult<String> {
    let parts = post_parts(conn, post_id)?;
    Ok(rules.structure.build(&AddressFields {
        local: rules.local(parts.published_at),
        id: parts.id,
        slug: &parts.slug,
        category: &parts.category,
        author: &parts.author,
    }))
}

/// Gives a post the address the site's rules build for it now; the
/// address it leaves keeps answering (`301`) when `keep_old`. Returns the
/// address.
pub fn refresh_address(
    conn: &mut AnyConnection,
    post_id: i64,
    keep_old: bool,
) -> QueryResult<String> {
    let rules = AddressRules::of_site(conn)?;
    move_to_address(conn, post_id, &rules, keep_old)
}

fn move_to_address(
    conn: &mut AnyConnection,
    post_id: i64,
    rules: &AddressRules,
    keep_old: bool,
) -> QueryResult<String> {
    let address = address_of(conn, post_id, rules)?;
    let old: String = posts::table.find(post_id).select(posts::path).first(conn)?;
    if old == address {
        return Ok(address);
    }
    diesel::update(posts::table.find(post_id))
        .set(posts::path.eq(&address))
        .execute(conn)?;
    // Its own address again (a structure chosen back): not a redirect.
    diesel::delete(redirects::table.filter(redirects::from_path.eq(&address))).execute(conn)?;
    if keep_old && !old.is_empty() {
        crate::models::redirect::record_redirect(conn, &old, post_id)?;
    }
    Ok(address)
}

/// Every post given the address the site's rules build now (after the
/// structure, the timezone, or a category's or author's slug changed), a
/// batch at a time; addresses left keep answering when `keep_old`.
/// Returns how many posts moved.
pub fn rebuild_addresses(conn: &mut AnyConnection, keep_old: bool) -> QueryResult<usize> {
    let rules = AddressRules::of_site(conn)?;
    let mut moved = 0;
    let mut after = 0;
    loop {
        let batch: Vec<(i64, String)> = posts::table
            .filter(posts::post_type.eq(PostType::Post))
            .filter(posts::id.gt(after))
            .order(posts::id.asc())
            .limit(500)
            .select((posts::id, posts::path))
            .load(conn)?;
        let Some((last, _)) = batch.last() else {
            return Ok(moved);
        };
        after = *last;
        for (post_id, old) in batch {
            if move_to_address(conn, post_id, &rules, keep_old)? != old {
                moved += 1;
            }
        }
    }
}

/// The structure an imported site had, read from its posts' old addresses:
/// each sample is (old path, the post here, its local date as WordPress
/// kept it). `None` when no structure builds them all.
pub fn infer_site_structure(
    conn: &mut AnyConnection,
    samples: &[(String, i64, chrono::NaiveDateTime)],
) -> QueryResult<Option<PermalinkStructure>> {
    // A few dozen posts settle it; every one of them must fit.
    let mut parts = Vec::new();
    for (path, post_id, local) in samples.iter().take(50) {
        parts.push((path.clone(), post_parts(conn, *post_id)?, *local));
    }
    let fields: Vec<(String, AddressFields<'_>)> = parts
        .iter()
        .map(|(path, parts, local)| {
            (
                path.clone(),
                AddressFields {
                    local: *local,
                    id: parts.id,
                    slug: &parts.slug,
                    category: &parts.category,
                    author: &parts.author,
                },
            )
        })
        .collect();
    Ok(crate::domain::permalink::infer_structure(&fields))
}

/// After a category's slug, parent or existence changed: posts whose
/// addresses name their category (`%category%`) move, their old addresses
/// kept answering; other structures need nothing.
pub fn follow_category_paths(conn: &mut AnyConnection) -> QueryResult<()> {
    let rules = AddressRules::of_site(conn)?;
    if rules.structure.as_str().contains("%category%") {
        rebuild_addresses(conn, true)?;
    }
    Ok(())
}
