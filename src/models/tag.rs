//! Tags: a flat taxonomy beside categories, addressed `/tag/slug/`.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::domain::permalink::TermBases;

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
    /// `/tag/sleep/` (below the site's tag base).
    pub fn path(&self, bases: &TermBases) -> String {
        bases.tag_path(&self.slug)
    }

    /// Its link, as a post shows it.
    pub fn link(&self, bases: &TermBases) -> CategoryLink {
        CategoryLink {
            name: self.name.clone(),
            path: self.path(bases),
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

/// Gives a post the tags these names make (a new name makes a new tag; a
/// name that makes no slug is left out).
pub fn set_post_tag_names(
    conn: &mut AnyConnection,
    post_id: i64,
    names: &[String],
) -> QueryResult<()> {
    let mut tag_ids = Vec::new();
    for name in names {
        let Ok(slug) = Slug::from_text(name) else {
            continue;
        };
        let (tag, _) = tag_with_slug(conn, &slug, name)?;
        if !tag_ids.contains(&tag.id) {
            tag_ids.push(tag.id);
        }
    }
    set_post_tags(conn, post_id, &tag_ids)
}

/// The tags of each post, by post id, in name order.
pub fn tags_of_posts(
    conn: &mut AnyConnection,
    post_ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<Tag>>> {
    if post_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let query = post_tags::table
        .inner_join(tags::table)
        .order(tags::name.asc())
        .select((post_tags::post_id, Tag::as_select()))
        .into_boxed();
    // One post bound as one value (see `categories_of_posts`).
    let rows: Vec<(i64, Tag)> = match post_ids {
        [post_id] => query.filter(post_tags::post_id.eq(*post_id)),
        _ => query.filter(post_tags::post_id.eq_any(post_ids.to_vec())),
    }
    .load(conn)?;
    let mut by_post: HashMap<i64, Vec<Tag>> = HashMap::new();
    for (post_id, tag) in rows {
        by_post.entry(post_id).or_default().push(tag);
    }
    Ok(by_post)
}

/// Every tag with how many posts carry it, by name.
pub fn tags_with_counts(conn: &mut AnyConnection) -> QueryResult<Vec<(Tag, i64)>> {
    let all = all_tags(conn)?;
    let counts: Vec<(i64, i64)> = post_tags::table
        .group_by(post_tags::tag_id)
        .select((post_tags::tag_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|tag| {
            let count = counts
                .iter()
                .find(|(id, _)| *id == tag.id)
                .map_or(0, |(_, count)| *count);
            (tag, count)
        })
        .collect())
}

#[derive(Debug, PartialEq, Eq)]
pub enum TagChange {
    Done,
    NoSuchTag,
    /// Another tag has that slug.
    SlugTaken,
}

/// Renames a tag (and its address).
pub fn rename_tag(
    conn: &mut AnyConnection,
    tag_id: i64,
    name: &str,
    slug: &Slug,
) -> QueryResult<TagChange> {
    crate::db::write_transaction(conn, |conn| {
        if let Some(other) = find_tag_by_slug(conn, slug.as_str())? {
            if other.id != tag_id {
                return Ok(TagChange::SlugTaken);
            }
        }
        crate::models::setting::content_changed(conn)?;
        let changed = diesel::update(tags::table.find(tag_id))
            .set((tags::name.eq(name.trim()), tags::slug.eq(slug.as_str())))
            .execute(conn)?;
        Ok(if changed == 1 {
            TagChange::Done
        } else {
            TagChange::NoSuchTag
        })
    })
}

/// Moves every post of `from` to `into` and deletes `from`.
pub fn merge_tags(conn: &mut AnyConnection, from: i64, into: i64) -> QueryResult<TagChange> {
    if from == into {
        return Ok(TagChange::Done);
    }
    crate::db::write_transaction(conn, |conn| {
        let exists = |conn: &mut AnyConnection, id: i64| -> QueryResult<bool> {
            Ok(tags::table.find(id).count().get_result::<i64>(conn)? == 1)
        };
        if !exists(conn, from)? || !exists(conn, into)? {
            return Ok(TagChange::NoSuchTag);
        }
        crate::models::setting::content_changed(conn)?;
        let posts: Vec<i64> = post_tags::table
            .filter(post_tags::tag_id.eq(from))
            .select(post_tags::post_id)
            .load(conn)?;
        for post_id in posts {
            let already: i64 = post_tags::table
                .filter(post_tags::post_id.eq(post_id))
                .filter(post_tags::tag_id.eq(into))
                .count()
                .get_result(conn)?;
            if already == 0 {
                diesel::insert_into(post_tags::table)
                    .values((post_tags::post_id.eq(post_id), post_tags::tag_id.eq(into)))
                    .execute(conn)?;
            }
        }
        diesel::delete(tags::table.find(from)).execute(conn)?;
        Ok(TagChange::Done)
    })
}

/// Deletes a tag; its posts keep their other tags.
pub fn delete_tag(conn: &mut AnyConnection, tag_id: i64) -> QueryResult<TagChange> {
    crate::db::write_transaction(conn, |conn| {
        crate::models::setting::content_changed(conn)?;
        let deleted = diesel::delete(tags::table.find(tag_id)).execute(conn)?;
        Ok(if deleted == 1 {
            TagChange::Done
        } else {
            TagChange::NoSuchTag
        })
    })
}

/// Keeps the WordPress term id an imported tag had (`/?tag_id=ID`), unless
/// another tag holds it already.
pub fn set_tag_wp_id(conn: &mut AnyConnection, tag_id: i64, wp_id: i64) -> QueryResult<()> {
    let taken: i64 = tags::table
        .filter(tags::wp_id.eq(wp_id))
        .count()
        .get_result(conn)?;
    if taken == 0 {
        diesel::update(tags::table.find(tag_id))
            .set(tags::wp_id.eq(wp_id))
            .execute(conn)?;
    }
    Ok(())
}

/// The tag that had this WordPress term id (`/?tag_id=ID`).
pub fn find_tag_by_wp_id(conn: &mut AnyConnection, wp_id: i64) -> QueryResult<Option<Tag>> {
    tags::table
        .filter(tags::wp_id.eq(wp_id))
        .select(Tag::as_select())
        .first(conn)
        .optional()
}
