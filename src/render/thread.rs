//! Threaded comments as WordPress shows them: oldest first, replies nested
//! under their parent up to a maximum depth, deeper replies attached at the
//! deepest level. The result is a flat list a template can walk without recursion.

use std::collections::HashMap;
use std::ops::Range;

/// How a post's comments are laid out: nesting depth and threads per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentPaging {
    /// Replies nest this deep.
    pub max_depth: usize,
    /// Top-level threads per page; 0 = every comment on one page.
    pub per_page: usize,
}

/// The address of page `page` of a post's comments (page 1 is the post itself).
pub fn comment_page_path(permalink: &str, page: usize) -> String {
    if page <= 1 {
        permalink.to_owned()
    } else {
        format!("{}comment-page-{page}/", below(permalink))
    }
}

/// An address with a slash to put a child address after: `/archives/42`
/// (a structure without the trailing slash) gives `/archives/42/`.
pub fn below(permalink: &str) -> std::borrow::Cow<'_, str> {
    if permalink.ends_with('/') {
        std::borrow::Cow::Borrowed(permalink)
    } else {
        std::borrow::Cow::Owned(format!("{permalink}/"))
    }
}

/// The link to comment `id` on page `page` of the post at `permalink`.
pub fn comment_link(permalink: &str, page: usize, id: i64) -> String {
    format!("{}#comment-{id}", comment_page_path(permalink, page))
}

/// Splits display slots into pages of `per_page` top-level threads, a
/// thread never split across pages. There is always at least one page.
pub fn thread_pages(slots: &[ThreadSlot], per_page: usize) -> Vec<Range<usize>> {
    if per_page == 0 {
        return std::iter::once(0..slots.len()).collect();
    }
    let mut pages = Vec::new();
    let mut start = 0;
    let mut threads = 0;
    for (position, slot) in slots.iter().enumerate() {
        if slot.depth == 1 {
            if threads == per_page {
                pages.push(start..position);
                start = position;
                threads = 0;
            }
            threads += 1;
        }
    }
    pages.push(start..slots.len());
    pages
}

/// The 1-based page showing the comment at `index` (of the list given to `thread`).
pub fn page_showing(slots: &[ThreadSlot], pages: &[Range<usize>], index: usize) -> usize {
    slots
        .iter()
        .position(|slot| slot.index == index)
        .and_then(|position| pages.iter().position(|page| page.contains(&position)))
        .map_or(1, |page| page + 1)
}

/// Where one comment goes in the nested list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSlot {
    /// Index into the comments given to `thread`.
    pub index: usize,
    /// 1 for top-level comments.
    pub depth: usize,
    /// Whether a `<ol class="children">` opens after this comment.
    pub has_children: bool,
    /// How many enclosing `</ol></li>` close after this comment.
    pub closes: usize,
}

/// Orders `(id, parent_id)` pairs, given oldest first, into display slots.
/// A parent that is not in the list (held, removed) makes a reply top-level.
pub fn thread(comments: &[(i64, Option<i64>)], max_depth: usize) -> Vec<ThreadSlot> {
    let max_depth = max_depth.max(1);
    let position: HashMap<i64, usize> = comments
        .iter()
        .enumerate()
        .map(|(index, (id, _))| (*id, index))
        .collect();
    let mut depth = vec![1usize; comments.len()];
    let mut display_parent: Vec<Option<usize>> = vec![None; comments.len()];
    for (index, (_, parent_id)) in comments.iter().enumerate() {
        let Some(mut parent) = parent_id
            .and_then(|id| position.get(&id).copied())
            .filter(|parent| *parent < index)
        else {
            continue;
        };
        // Too deep: hang it beside its parent instead, at the deepest level.
        while depth[parent] >= max_depth {
            match display_parent[parent] {
                Some(grandparent) => parent = grandparent,
                None => break,
            }
        }
        if depth[parent] >= max_depth {
            continue;
        }
        display_parent[index] = Some(parent);
        depth[index] = depth[parent] + 1;
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); comments.len()];
    let mut roots = Vec::new();
    for (index, parent) in display_parent.iter().enumerate() {
        match parent {
            Some(parent) => children[*parent].push(index),
            None => roots.push(index),
        }
    }
    let mut slots = Vec::with_capacity(comments.len());
    for root in roots {
        walk(root, &children, &depth, &mut slots);
    }
    slots
}

fn walk(index: usize, children: &[Vec<usize>], depth: &[usize], slots: &mut Vec<ThreadSlot>) {
    slots.push(ThreadSlot {
        index,
        depth: depth[index],
        has_children: !children[index].is_empty(),
        closes: 0,
    });
    if children[index].is_empty() {
        return;
    }
    for child in &children[index] {
        walk(*child, children, depth, slots);
    }
    // The last comment of this subtree closes this comment's list of replies.
    if let Some(last) = slots.last_mut() {
        last.closes += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(slots: &[ThreadSlot]) -> Vec<(usize, usize, bool, usize)> {
        slots
            .iter()
            .map(|slot| (slot.index, slot.depth, slot.has_children, slot.closes))
            .collect()
    }

    #[test]
    fn replies_nest_under_their_parents_oldest_first() {
        // 1; 2 replies to 1; 3 top; 4 replies to 2; 5 replies to 1
        let comments = [
            (1, None),
            (2, Some(1)),
            (3, None),
            (4, Some(2)),
            (5, Some(1)),
        ];
        let slots = thread(&comments, 5);
        assert_eq!(
            shape(&slots),
            vec![
                (0, 1, true, 0),
                (1, 2, true, 0),
                (3, 3, false, 1),
                (4, 2, false, 1),
                (2, 1, false, 0)
            ]
        );
    }

    #[test]
    fn replies_beyond_the_depth_attach_at_the_deepest_level() {
        let comments = [(1, None), (2, Some(1)), (3, Some(2)), (4, Some(3))];
        let slots = thread(&comments, 2);
        // 3 and 4 hang under 1's reply level, as siblings of 2.
        assert_eq!(
            shape(&slots),
            vec![
                (0, 1, true, 0),
                (1, 2, false, 0),
                (2, 2, false, 0),
                (3, 2, false, 1)
            ]
        );
        let flat = thread(&comments, 1);
        assert!(flat
            .iter()
            .all(|slot| slot.depth == 1 && !slot.has_children && slot.closes == 0));
    }

    #[test]
    fn replies_to_hidden_comments_are_top_level() {
        let slots = thread(&[(7, Some(3)), (8, Some(7))], 5);
        assert_eq!(shape(&slots), vec![(0, 1, true, 0), (1, 2, false, 1)]);
    }

    #[test]
    fn pages_hold_whole_threads() {
        // Threads: [1, 2], [3], [4, 5, 6], [7]
        let comments = [
            (1, None),
            (2, Some(1)),
            (3, None),
            (4, None),
            (5, Some(4)),
            (6, Some(5)),
            (7, None),
        ];
        let slots = thread(&comments, 5);
        let pages = thread_pages(&slots, 2);
        assert_eq!(pages, vec![0..3, 3..7]);
        assert_eq!(page_showing(&slots, &pages, 1), 1);
        assert_eq!(
            page_showing(&slots, &pages, 5),
            2,
            "a reply is on its thread's page"
        );
        assert_eq!(page_showing(&slots, &pages, 6), 2);
        assert_eq!(thread_pages(&slots, 0), vec![0..7], "0: one page");
        assert_eq!(thread_pages(&slots, 4), vec![0..7]);
        assert_eq!(
            thread_pages(&[], 50),
            vec![0..0],
            "no comments: one empty page"
        );
        let closes = |range: Range<usize>| {
            let opened = slots[range.clone()]
                .iter()
                .filter(|slot| slot.has_children)
                .count();
            let closed: usize = slots[range].iter().map(|slot| slot.closes).sum();
            (opened, closed)
        };
        for page in pages {
            let (opened, closed) = closes(page);
            assert_eq!(opened, closed, "each page's lists close on that page");
        }
    }

    #[test]
    fn comment_pages_live_under_the_permalink() {
        assert_eq!(comment_page_path("/2024/01/02/a/", 1), "/2024/01/02/a/");
        assert_eq!(
            comment_page_path("/2024/01/02/a/", 3),
            "/2024/01/02/a/comment-page-3/"
        );
    }

    #[test]
    fn every_opened_list_is_closed() {
        let comments = [
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, Some(3)),
            (5, None),
            (6, Some(5)),
        ];
        let slots = thread(&comments, 5);
        let opened = slots.iter().filter(|slot| slot.has_children).count();
        let closed: usize = slots.iter().map(|slot| slot.closes).sum();
        assert_eq!(opened, closed);
    }
}
