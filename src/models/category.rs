//! Categories, and "Uncategorized", where a post without one is filed.

use diesel::prelude::*;

use crate::domain::permalink::TermBases;

use crate::db::schema::categories;
use crate::db::AnyConnection;
use crate::domain::Slug;
use crate::render::layout::CategoryLink;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<i64>,
    /// The slugs from the top category down: `back/lumbar`.
    #[diesel(column_name = path)]
    pub slug_path: String,
}

impl Category {
    /// `/category/back/lumbar/`, as WordPress addresses a nested category
    /// (below the site's category base).
    pub fn path(&self, bases: &TermBases) -> String {
        let slugs = if self.slug_path.is_empty() {
            &self.slug
        } else {
            &self.slug_path
        };
        bases.category_path(slugs)
    }

    /// Its link, as listings and posts show it.
    pub fn link(&self, bases: &TermBases) -> CategoryLink {
        CategoryLink {
            name: self.name.clone(),
            path: self.path(bases),
        }
    }
}

/// Recomputes every category's `path` from the slugs and parents (there are
/// few categories; a cycle is cut where it closes).
pub fn refresh_category_paths(conn: &mut AnyConnection) -> QueryResult<()> {
    let all: Vec<Category> = categories::table.select(Category::as_select()).load(conn)?;
    let by_id: std::collections::HashMap<i64, &Category> =
        all.iter().map(|category| (category.id, category)).collect();
    for category in &all {
        let mut slugs = vec![category.slug.as_str()];
        let mut seen = vec![category.id];
        let mut parent = category.parent_id;
        while let Some(parent_id) = parent {
            let Some(above) = by_id.get(&parent_id) else {
                break;
            };
            if seen.contains(&above.id) {
                break;
            }
            seen.push(above.id);
            slugs.push(above.slug.as_str());
            parent = above.parent_id;
        }
        slugs.reverse();
        let path = slugs.join("/");
        if path != category.slug_path {
            diesel::update(categories::table.find(category.id))
                .set(categories::path.eq(&path))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The category at `/category/{path}/`: a full path (`back/lumbar`), or the
/// last slug alone (which the caller sends on to the full path).
pub fn find_category_by_path(
    conn: &mut AnyConnection,
    path: &str,
) -> QueryResult<Option<Category>> {
    let found = categories::table
        .filter(categories::path.eq(path))
        .select(Category::as_select())
        .first(conn)
        .optional()?;
    match found {
        Some(category) => Ok(Some(category)),
        None if !path.contains('/') => find_category_by_slug(conn, path),
        None => Ok(None),
    }
}

pub const UNCATEGORIZED_SLUG: &str = "uncategorized";

/// Creates a category named `name`; its slug is derived from the name unless
/// given, with `-2`, `-3`… appended on a clash.
pub fn create_category(
    conn: &mut AnyConnection,
    name: &str,
    slug: Option<&Slug>,
    description: &str,
) -> QueryResult<Category> {
    let base = match slug {
        Some(slug) => slug.clone(),
        None => Slug::from_text(name).unwrap_or_else(|_| Slug::fallback("category")),
    };
    crate::db::write_transaction(conn, |conn| {
        crate::models::setting::content_changed(conn)?;
        let slug = free_slug(conn, &base)?;
        diesel::insert_into(categories::table)
            .values((
                categories::slug.eq(slug.as_str()),
                categories::path.eq(slug.as_str()),
                categories::name.eq(name.trim()),
                categories::description.eq(description.trim()),
            ))
            .execute(conn)?;
        find_category_by_slug(conn, slug.as_str())?.ok_or(diesel::result::Error::NotFound)
    })
}

fn free_slug(conn: &mut AnyConnection, base: &Slug) -> QueryResult<Slug> {
    let mut candidate = base.clone();
    let mut suffix = 2;
    while find_category_by_slug(conn, candidate.as_str())?.is_some() {
        candidate = base.with_suffix(suffix);
        suffix += 1;
    }
    Ok(candidate)
}

pub fn find_category_by_slug(
    conn: &mut AnyConnection,
    slug: &str,
) -> QueryResult<Option<Category>> {
    categories::table
        .filter(categories::slug.eq(slug))
        .select(Category::as_select())
        .first(conn)
        .optional()
}

/// The "Uncategorized" category, created the first time it is needed.
pub fn uncategorized(conn: &mut AnyConnection) -> QueryResult<Category> {
    if let Some(category) = find_category_by_slug(conn, UNCATEGORIZED_SLUG)? {
        return Ok(category);
    }
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(categories::table)
            .values((
                categories::slug.eq(UNCATEGORIZED_SLUG),
                categories::path.eq(UNCATEGORIZED_SLUG),
                categories::name.eq("Uncategorized"),
                categories::description.eq(""),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => {}
        Err(error) if crate::models::is_unique_violation(&error) => {}
        Err(error) => return Err(error),
    }
    find_category_by_slug(conn, UNCATEGORIZED_SLUG)?.ok_or(diesel::result::Error::NotFound)
}

pub fn all_categories(conn: &mut AnyConnection) -> QueryResult<Vec<Category>> {
    categories::table
        .order(categories::name.asc())
        .select(Category::as_select())
        .load(conn)
}

pub fn find_category(conn: &mut AnyConnection, category_id: i64) -> QueryResult<Option<Category>> {
    categories::table
        .find(category_id)
        .select(Category::as_select())
        .first(conn)
        .optional()
}

/// Renames a category; a slug clash with another category gets `-2`, `-3`…
pub fn update_category(
    conn: &mut AnyConnection,
    category_id: i64,
    name: &str,
    slug: &Slug,
    description: &str,
) -> QueryResult<Category> {
    crate::db::write_transaction(conn, |conn| {
        crate::models::setting::content_changed(conn)?;
        let mut candidate = slug.clone();
        let mut suffix = 2;
        while find_category_by_slug(conn, candidate.as_str())?
            .is_some_and(|other| other.id != category_id)
        {
            candidate = slug.with_suffix(suffix);
            suffix += 1;
        }
        diesel::update(categories::table.find(category_id))
            .set((
                categories::name.eq(name.trim()),
                categories::slug.eq(candidate.as_str()),
                categories::description.eq(description.trim()),
            ))
            .execute(conn)?;
        refresh_category_paths(conn)?;
        crate::models::post_address::follow_category_paths(conn)?;
        categories::table
            .find(category_id)
            .select(Category::as_select())
            .first(conn)
    })
}

/// Deletes a category; its posts left without any go to "Uncategorized".
/// "Uncategorized" itself cannot be deleted (returns `false`).
pub fn delete_category(conn: &mut AnyConnection, category_id: i64) -> QueryResult<bool> {
    use crate::db::schema::post_categories;
    crate::db::write_transaction(conn, |conn| {
        crate::models::setting::content_changed(conn)?;
        let fallback = uncategorized(conn)?;
        if fallback.id == category_id {
            return Ok(false);
        }
        let post_ids: Vec<i64> = post_categories::table
            .filter(post_categories::category_id.eq(category_id))
            .select(post_categories::post_id)
            .load(conn)?;
        diesel::delete(categories::table.find(category_id)).execute(conn)?;
        refresh_category_paths(conn)?;
        for post_id in post_ids {
            let remaining: i64 = post_categories::table
                .filter(post_categories::post_id.eq(post_id))
                .count()
                .get_result(conn)?;
            if remaining == 0 {
                diesel::insert_into(post_categories::table)
                    .values((
                        post_categories::post_id.eq(post_id),
                        post_categories::category_id.eq(fallback.id),
                    ))
                    .execute(conn)?;
            }
        }
        crate::models::post_address::follow_category_paths(conn)?;
        Ok(true)
    })
}

/// How many posts each category holds, by category id.
pub fn post_counts(conn: &mut AnyConnection) -> QueryResult<Vec<(i64, i64)>> {
    use crate::db::schema::post_categories;
    post_categories::table
        .group_by(post_categories::category_id)
        .select((post_categories::category_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Points a category at its parent.
pub fn set_category_parent(
    conn: &mut AnyConnection,
    category_id: i64,
    parent_id: i64,
) -> QueryResult<()> {
    diesel::update(categories::table.find(category_id))
        .set(categories::parent_id.eq(parent_id))
        .execute(conn)?;
    refresh_category_paths(conn)
}

/// A category with exactly this slug, created if missing (imports keep slugs).
pub fn category_with_slug(
    conn: &mut AnyConnection,
    slug: &Slug,
    name: &str,
    description: &str,
) -> QueryResult<(Category, bool)> {
    if let Some(existing) = find_category_by_slug(conn, slug.as_str())? {
        return Ok((existing, false));
    }
    diesel::insert_into(categories::table)
        .values((
            categories::slug.eq(slug.as_str()),
            categories::path.eq(slug.as_str()),
            categories::name.eq(if name.trim().is_empty() {
                slug.as_str()
            } else {
                name.trim()
            }),
            categories::description.eq(description.trim()),
        ))
        .execute(conn)?;
    Ok((
        find_category_by_slug(conn, slug.as_str())?.ok_or(diesel::result::Error::NotFound)?,
        true,
    ))
}

/// Remembers the WordPress term id an imported category had, unless
/// another category has it.
pub fn set_category_wp_id(
    conn: &mut AnyConnection,
    category_id: i64,
    wp_id: i64,
) -> QueryResult<()> {
    let taken: i64 = categories::table
        .filter(categories::wp_id.eq(wp_id))
        .count()
        .get_result(conn)?;
    if taken == 0 {
        diesel::update(categories::table.find(category_id))
            .set(categories::wp_id.eq(wp_id))
            .execute(conn)?;
    }
    Ok(())
}

/// The category that was WordPress term `wp_id`.
pub fn find_category_by_wp_id(
    conn: &mut AnyConnection,
    wp_id: i64,
) -> QueryResult<Option<Category>> {
    categories::table
        .filter(categories::wp_id.eq(wp_id))
        .select(Category::as_select())
        .first(conn)
        .optional()
}
