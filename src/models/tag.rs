//! Tags: a flat taxonomy beside categories, addressed `/tag/slug/`.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{post_tags, tags};
use crate::db::AnyConnection;
use crate::domain::Slug;
use crate::render::layout::CategoryLink;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl Tag {
    pub fn path(&self) -> String {
        format!("/tag/{}/", self.slug)
    }
}

impl From<&Tag> for CategoryLink {
    fn from(tag: &Tag) -> CategoryLink {
        CategoryLink {
            name: tag.name.clone(),
            path: tag.path(),
        }
    }
}

pub fn find_tag_by_slug(conn: &mut AnyConnection, slug: &str) -> QueryResult<Option<Tag>> {
    tags::table
        .filter(tags::slug.eq(slug))
        .select(Tag::as_select())
        .first(conn)
        .optional()
}

/// The tag with this slug, created (named `name`) if there is none; and
/// whether it was created.
pub fn tag_with_slug(
    conn: &mut AnyConnection,
    slug: &Slug,
    name: &str,
) -> QueryResult<(Tag, bool)> {
    if let Some(existing) = find_tag_by_slug(conn, slug.as_str())? {
        return Ok((existing, false));
    }
    let name = match name.trim() {
        "" => slug.as_str(),
        name => name,
    };
    diesel::insert_into(tags::table)
        .values((tags::slug.eq(slug.as_str()), tags::name.eq(name)))
        .execute(conn)?;
    let tag = find_tag_by_slug(conn, slug.as_str())?.ok_or(diesel::result::Error::NotFound)?;
    Ok((tag, true))
}

pub fn all_tags(conn: &mut AnyConnection) -> QueryResult<Vec<Tag>> {
    tags::table
        .order(tags::name.asc())
        .select(Tag::as_select())
        .load(conn)
}

/// Gives a post exactly these tags.
pub fn set_post_tags(conn: &mut AnyConnection, post_id: i64, tag_ids: &[i64]) -> QueryResult<()> {
    diesel::delete(post_tags::table.filter(post_tags::post_id.eq(post_id))).execute(conn)?;
    for tag_id in tag_ids {
        diesel::insert_into(post_tags::table)
            .values((post_tags::post_id.eq(post_id), post_tags::tag_id.eq(tag_id)))
            .execute(conn)?;
    }
    Ok(())
}

/// The tags of each post, by post id, in name order.
pub fn tags_of_posts(
    conn: &mut AnyConnection,
    post_ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<Tag>>> {
    if post_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, Tag)> = post_tags::table
        .inner_join(tags::table)
        .filter(post_tags::post_id.eq_any(post_ids.to_vec()))
        .order(tags::name.asc())
        .select((post_tags::post_id, Tag::as_select()))
        .load(conn)?;
    let mut by_post: HashMap<i64, Vec<Tag>> = HashMap::new();
    for (post_id, tag) in rows {
        by_post.entry(post_id).or_default().push(tag);
    }
    Ok(by_post)
}
