// The tables of migrations/{sqlite,postgres}; both backends share these types.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        notify_comments -> Bool,
        wp_login -> Nullable<Text>,
        created_at -> BigInt,
        slug -> Nullable<Text>,
        wp_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        parent_id -> Nullable<BigInt>,
        path -> Text,
        wp_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        post_type -> Text,
        slug -> Text,
        title -> Text,
        body_source -> Text,
        body_format -> Text,
        body_html -> Text,
        excerpt -> Text,
        status -> Text,
        status_before_trash -> Nullable<Text>,
        published_at -> BigInt,
        author_id -> Nullable<BigInt>,
        allow_comments -> Bool,
        comment_count -> BigInt,
        wp_id -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        parent_id -> Nullable<BigInt>,
        menu_order -> BigInt,
        sticky -> Bool,
        featured_media_id -> Nullable<BigInt>,
        thread_count -> BigInt,
        in_menu -> Bool,
        password -> Text,
        post_format -> Text,
        path -> Text,
    }
}

diesel::table! {
    /// A post's category, with the post's `published_at` (kept by
    /// triggers, migration `listing_dates`) for the category's listing.
    post_categories (post_id, category_id) {
        post_id -> BigInt,
        category_id -> BigInt,
        published_at -> BigInt,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        post_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        author_name -> Text,
        author_email -> Text,
        author_url -> Text,
        author_ip -> Text,
        user_agent -> Text,
        user_id -> Nullable<BigInt>,
        body_source -> Text,
        body_html -> Text,
        status -> Text,
        status_before_trash -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        wp_id -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        ip_anonymised -> Bool,
        comment_type -> Text,
        spam_score -> Double,
        spam_why -> Text,
        trained_as -> Nullable<Text>,
        trained_tokens -> Nullable<Text>,
        thread_start -> Bool,
    }
}

diesel::table! {
    /// The spam filter's counts per token ('' holds the totals).
    spam_tokens (token) {
        token -> Text,
        spam -> BigInt,
        ham -> BigInt,
    }
}

diesel::table! {
    comment_digests (id) {
        id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Held comments waiting for (or told in) a digest.
    digest_items (comment_id) {
        comment_id -> BigInt,
        digest_id -> Nullable<BigInt>,
        held_at -> BigInt,
    }
}

diesel::table! {
    comment_revisions (id) {
        id -> BigInt,
        comment_id -> BigInt,
        editor_id -> Nullable<BigInt>,
        previous_body -> Text,
        edited_at -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        extra_headers -> Text,
        message_id -> Text,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> BigInt,
        locked_until -> Nullable<BigInt>,
        created_at -> BigInt,
        sent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    subscribers (id) {
        id -> BigInt,
        email -> Text,
        confirmed_at -> Nullable<BigInt>,
        unsubscribed_at -> Nullable<BigInt>,
        created_at -> BigInt,
        confirmation_sent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    reply_subscriptions (comment_id) {
        comment_id -> BigInt,
        subscriber_id -> BigInt,
    }
}

diesel::table! {
    action_tokens (id) {
        id -> Text,
        purpose -> Text,
        comment_id -> Nullable<BigInt>,
        subscriber_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> Text,
        user_id -> BigInt,
        purpose -> Text,
        new_email -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    redirects (id) {
        id -> BigInt,
        from_path -> Text,
        post_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        wp_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// A post's tag, with the post's `published_at` as `post_categories`.
    post_tags (post_id, tag_id) {
        post_id -> BigInt,
        tag_id -> BigInt,
        published_at -> BigInt,
    }
}

diesel::table! {
    media (id) {
        id -> BigInt,
        path -> Text,
        mime -> Text,
        width -> Nullable<BigInt>,
        height -> Nullable<BigInt>,
        byte_size -> BigInt,
        title -> Text,
        alt -> Text,
        caption -> Text,
        sizes -> Text,
        post_id -> Nullable<BigInt>,
        wp_id -> Nullable<BigInt>,
        created_at -> BigInt,
        wp_path -> Nullable<Text>,
    }
}

diesel::table! {
    /// Which posts show which library file in their content.
    media_uses (media_id, post_id) {
        media_id -> BigInt,
        post_id -> BigInt,
    }
}

diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(post_tags -> tags (tag_id));
diesel::joinable!(media_uses -> media (media_id));
diesel::joinable!(digest_items -> comments (comment_id));
diesel::joinable!(digest_items -> comment_digests (digest_id));
diesel::joinable!(media_uses -> posts (post_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(posts -> users (author_id));
diesel::joinable!(post_categories -> posts (post_id));
diesel::joinable!(post_categories -> categories (category_id));
diesel::joinable!(comments -> posts (post_id));
diesel::table! {
    /// Comments per status, kept by triggers (migration `comment_counts`).
    comment_counts (status) {
        status -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    /// Comments (not spam) per quarter hour (`created_at / 900`), kept by
    /// triggers (migration `comment_quarters`): the dashboard's chart.
    comment_quarters (quarter) {
        quarter -> BigInt,
        n -> BigInt,
    }
}

diesel::table! {
    /// Comments (not spam) per hour (`created_at / 3600`), kept by the same
    /// triggers (migration `comment_hours`): the chart's whole hours.
    comment_hours (hour) {
        hour -> BigInt,
        n -> BigInt,
    }
}

diesel::table! {
    /// What each content version changed: one post's comments, or all (0).
    page_retirements (version, post_id) {
        version -> BigInt,
        post_id -> BigInt,
    }
}

diesel::joinable!(comment_revisions -> comments (comment_id));
diesel::joinable!(reply_subscriptions -> comments (comment_id));
diesel::joinable!(reply_subscriptions -> subscribers (subscriber_id));
diesel::joinable!(redirects -> posts (post_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    settings,
    categories,
    posts,
    post_categories,
    comments,
    comment_counts,
    comment_quarters,
    comment_hours,
    comment_revisions,
    outbox,
    subscribers,
    reply_subscriptions,
    action_tokens,
    account_tokens,
    redirects,
    tags,
    post_tags,
    media,
    media_uses,
    spam_tokens,
    comment_digests,
    digest_items,
    page_retirements,
);
