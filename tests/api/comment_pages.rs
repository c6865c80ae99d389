//! The page a comment is on, worked out from the kept thread counts, equals
//! the page the comment pages lay it out on — for random threads built by
//! random adds, moderation, deletions and imports that reorder times, on
//! both backends, for everyone and for a visitor with held comments.

use diesel::prelude::*;
use ferropress::db::schema::{comments, posts};
use ferropress::db::AnyConnection;
use ferropress::domain::CommentStatus;
use ferropress::models::comment::{
    approved_comment_paths, comment_path, comments_for_page, create_comment, delete_comment,
    new_comment_page, recount_approved, set_comment_status, ApprovedPlace, Comment,
};
use ferropress::models::post::Post;
use ferropress::render::thread::{
    comment_page_path, page_showing, thread, thread_pages, CommentPaging,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::helpers::new_comment;

const PAGING: CommentPaging = CommentPaging {
    max_depth: 3,
    per_page: 2,
};

#[derive(Debug, Clone)]
enum Step {
    /// A new comment, replying to the `parent`-th comment (if any, and
    /// whatever its status), approved or held.
    Add {
        parent: Option<usize>,
        approved: bool,
    },
    /// A moderator moves the `target`-th comment.
    Move { target: usize, status: usize },
    /// Deleted for good.
    Delete { target: usize },
    /// An import rewrites its time (replies may then be older than their
    /// parents) and the post is recounted.
    Retime { target: usize, seconds: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (proptest::option::weighted(0.6, 0usize..64), proptest::bool::weighted(0.7))
            .prop_map(|(parent, approved)| Step::Add { parent, approved }),
        3 => (0usize..64, 0usize..4).prop_map(|(target, status)| Step::Move { target, status }),
        1 => (0usize..64).prop_map(|target| Step::Delete { target }),
        1 => (0usize..64, -5i64..5).prop_map(|(target, seconds)| Step::Retime { target, seconds }),
    ]
}

/// Where the comment pages put `target` (an existing comment, or a new one
/// replying to a parent), laid out from every row as the post page does.
fn laid_out_page(all: &[Comment], held: &[i64], target: Target) -> usize {
    let mut rows: Vec<(i64, i64, Option<i64>)> = all
        .iter()
        .filter(|comment| {
            comment.status.is_approved()
                || held.contains(&comment.id)
                || matches!(target, Target::Existing(id) if id == comment.id)
        })
        .map(|comment| (comment.created_at, comment.id, comment.parent_id))
        .collect();
    let id = match target {
        Target::Existing(id) => id,
        Target::New(parent) => {
            rows.push((i64::MAX, i64::MAX, parent));
            i64::MAX
        }
    };
    rows.sort_unstable();
    let pairs: Vec<(i64, Option<i64>)> =
        rows.iter().map(|(_, id, parent)| (*id, *parent)).collect();
    let slots = thread(&pairs, PAGING.max_depth);
    let pages = thread_pages(&slots, PAGING.per_page);
    pairs
        .iter()
        .position(|(pair_id, _)| *pair_id == id)
        .map_or(1, |index| page_showing(&slots, &pages, index))
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Existing(i64),
    New(Option<i64>),
}

/// The approved `comment` as a listing of its post reads it.
fn place<'a>(permalink: &'a str, post: &Post, comment: &Comment) -> ApprovedPlace<'a> {
    ApprovedPlace {
        permalink,
        post_id: post.id,
        comment_count: post.comment_count,
        thread_count: post.thread_count,
        comment_id: comment.id,
        parent_id: comment.parent_id,
        created_at: comment.created_at,
    }
}

fn comments_of(conn: &mut AnyConnection, post_id: i64) -> Vec<Comment> {
    comments::table
        .filter(comments::post_id.eq(post_id))
        .order(comments::id.asc())
        .select(Comment::as_select())
        .load(conn)
        .unwrap()
}

fn reload(conn: &mut AnyConnection, post_id: i64) -> Post {
    posts::table
        .find(post_id)
        .select(Post::as_select())
        .first(conn)
        .unwrap()
}

fn apply(conn: &mut AnyConnection, post: &Post, elsewhere: i64, step: &Step) {
    let ids: Vec<i64> = comments_of(conn, post.id).iter().map(|c| c.id).collect();
    let pick = |index: usize| ids.get(index % ids.len().max(1)).copied();
    match *step {
        Step::Add { parent, approved } => {
            // Now and then a reply to a comment on another post.
            let parent_id = match parent {
                Some(63) => Some(elsewhere),
                Some(index) => pick(index),
                None => None,
            };
            create_comment(conn, &new_comment(post.id, parent_id, approved)).unwrap();
        }
        Step::Move { target, status } => {
            if let Some(id) = pick(target) {
                let status = [
                    CommentStatus::Approved,
                    CommentStatus::Pending,
                    CommentStatus::Spam,
                    CommentStatus::Trash,
                ][status];
                set_comment_status(conn, id, status).unwrap();
            }
        }
        Step::Delete { target } => {
            if let Some(id) = pick(target) {
                delete_comment(conn, id).unwrap();
            }
        }
        Step::Retime { target, seconds } => {
            if let Some(id) = pick(target) {
                diesel::update(comments::table.find(id))
                    .set(comments::created_at.eq(comments::created_at + seconds))
                    .execute(conn)
                    .unwrap();
                recount_approved(conn, post.id).unwrap();
            }
        }
    }
}

fn check(conn: &mut AnyConnection, post_id: i64) -> Result<(), TestCaseError> {
    let post = reload(conn, post_id);
    let all = comments_of(conn, post_id);
    let approved = all.iter().filter(|c| c.status.is_approved()).count();
    prop_assert_eq!(post.comment_count, approved as i64, "approved count");
    let everyone: Vec<(i64, Option<i64>)> = {
        let mut rows: Vec<_> = all
            .iter()
            .filter(|c| c.status.is_approved())
            .map(|c| (c.created_at, c.id, c.parent_id))
            .collect();
        rows.sort_unstable();
        rows.iter().map(|(_, id, parent)| (*id, *parent)).collect()
    };
    let threads = thread(&everyone, PAGING.max_depth)
        .iter()
        .filter(|slot| slot.depth == 1)
        .count();
    prop_assert_eq!(post.thread_count, threads as i64, "thread count");
    // Each page, read on its own, holds exactly what the whole layout puts there.
    let slots = thread(&everyone, PAGING.max_depth);
    let pages = thread_pages(&slots, PAGING.per_page);
    for (index, range) in pages.iter().enumerate() {
        let expected: Vec<i64> = slots[range.clone()]
            .iter()
            .map(|slot| everyone[slot.index].0)
            .collect();
        let read = comments_for_page(conn, &post, &[], index + 1, PAGING).unwrap();
        let ids: Vec<i64> = read.comments.iter().map(|c| c.id).collect();
        let mut sorted_expected = expected.clone();
        sorted_expected.sort_unstable_by_key(|id| everyone.iter().position(|(pair, _)| pair == id));
        prop_assert_eq!(ids, sorted_expected, "page {} read alone", index + 1);
        if let Some(count) = read.pages {
            prop_assert_eq!(count, pages.len().max(1), "pages");
        }
    }
    let beyond = comments_for_page(conn, &post, &[], pages.len() + 1, PAGING).unwrap();
    prop_assert!(
        beyond.pages.is_none() || beyond.comments.is_empty(),
        "no page beyond the last"
    );
    // Every approved comment placed at once, from the rows alone, as the
    // sidebar's recent comments and the comment feeds are.
    let permalink = post.permalink();
    let approved: Vec<&Comment> = all.iter().filter(|c| c.status.is_approved()).collect();
    let places: Vec<ApprovedPlace> = approved
        .iter()
        .map(|comment| place(&permalink, &post, comment))
        .collect();
    let paths = approved_comment_paths(conn, &places, PAGING).unwrap();
    prop_assert_eq!(paths.len(), approved.len());
    for (comment, path) in approved.iter().zip(paths) {
        let expected = laid_out_page(&all, &[], Target::Existing(comment.id));
        let wanted = format!(
            "{}#comment-{}",
            comment_page_path(&permalink, expected),
            comment.id
        );
        prop_assert_eq!(
            path,
            wanted,
            "comment {} placed with the others",
            comment.id
        );
    }
    // Everyone, and a visitor whose own held comments are every other held one.
    let own_held: Vec<i64> = all
        .iter()
        .filter(|c| !c.status.is_approved())
        .map(|c| c.id)
        .step_by(2)
        .collect();
    for held in [&[][..], &own_held[..]] {
        for comment in &all {
            let expected = laid_out_page(&all, held, Target::Existing(comment.id));
            let path = comment_path(conn, &post, comment.id, held, PAGING).unwrap();
            let wanted = format!(
                "{}#comment-{}",
                comment_page_path(&post.permalink(), expected),
                comment.id
            );
            prop_assert_eq!(path, wanted, "comment {} seen with {:?}", comment.id, held);
        }
        let parents = std::iter::once(None).chain(
            all.iter()
                .filter(|c| c.status.is_approved())
                .map(|c| Some(c.id)),
        );
        for parent in parents {
            let expected = laid_out_page(&all, held, Target::New(parent));
            let page = new_comment_page(conn, &post, parent, held, PAGING).unwrap();
            prop_assert_eq!(
                page,
                expected,
                "new reply to {:?} seen with {:?}",
                parent,
                held
            );
        }
    }
    Ok(())
}

on_both_backends! {
    async fn a_comments_page_is_worked_out_as_the_pages_lay_it_out(app) {
        let elsewhere_post = app.publish("Elsewhere", "Another post.", 2, &[]);
        let elsewhere = create_comment(&mut app.conn(), &new_comment(elsewhere_post.id, None, true))
            .unwrap()
            .id;
        let mut runner = TestRunner::new(Config {
            cases: 12,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&proptest::collection::vec(step(), 1..36), |steps| {
            let post = app.publish("Threads", "A post with threads.", 1, &[]);
            let mut conn = app.conn();
            for step in &steps {
                apply(&mut conn, &post, elsewhere, step);
                check(&mut conn, post.id)?;
            }
            Ok(())
        });
        if let Err(error) = result {
            panic!("{error}");
        }
    }
}

on_both_backends! {
    async fn comments_placed_together_far_apart_are_counted_one_by_one(app) {
        // More threads after the earliest comment placed than are read at
        // once (200): each comment's are counted by the database instead,
        // with the same pages.
        let post = app.publish("Many threads", "A post with many threads.", 1, &[]);
        let mut conn = app.conn();
        for _ in 0..205 {
            create_comment(&mut conn, &new_comment(post.id, None, true)).unwrap();
        }
        let all = comments_of(&mut conn, post.id);
        // The first, a reply to it (the same thread), and the newest.
        let reply = create_comment(&mut conn, &new_comment(post.id, Some(all[0].id), true))
            .unwrap();
        let all = comments_of(&mut conn, post.id);
        let post = reload(&mut conn, post.id);
        let permalink = post.permalink();
        let chosen = [all[0].id, reply.id, all[204].id];
        let places: Vec<ApprovedPlace> = chosen
            .iter()
            .map(|id| place(&permalink, &post, all.iter().find(|c| c.id == *id).unwrap()))
            .collect();
        let paths = approved_comment_paths(&mut conn, &places, PAGING).unwrap();
        let wanted: Vec<String> = chosen
            .iter()
            .map(|id| {
                let page = laid_out_page(&all, &[], Target::Existing(*id));
                format!("{}#comment-{id}", comment_page_path(&permalink, page))
            })
            .collect();
        assert_eq!(paths, wanted);
        // The oldest thread is on the first page, the newest on the last.
        assert!(paths[0].ends_with(&format!("/#comment-{}", all[0].id)), "{}", paths[0]);
        assert!(paths[2].contains("/comment-page-103/"), "{}", paths[2]);
    }
}
