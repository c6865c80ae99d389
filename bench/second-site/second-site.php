<?php
// Builds, in a WordPress site of its own, a blog made differently from the
// rich one (`../shared/peers/rich-site.php`): Post name permalinks with a
// category base and a tag base, the site in Europe/Zurich, a
// password-protected post and page, a private, a draft and a scheduled
// post, asides and a quote (post formats), a post split with
// <!--nextpage-->, a renamed post (its old slug kept), [audio], [video],
// [embed] and a block embed, a post with comments broken into pages, a
// commenter who typed their address as their name.
// Usage: php second-site.php SITE_URL
$site = $argv[1];
$_SERVER['HTTP_HOST'] = parse_url($site, PHP_URL_HOST);
$_SERVER['REQUEST_URI'] = '/'; $_SERVER['SERVER_NAME'] = $_SERVER['HTTP_HOST'];
define('WP_INSTALLING', true);
require_once '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/file.php';
require_once ABSPATH . 'wp-admin/includes/media.php';
if (!is_blog_installed()) {
    wp_install('Walking the Alps', 'walker', 'walker@example.org', true, '', 'peer-bench-password');
}
update_option('siteurl', $site); update_option('home', $site);
update_option('blogdescription', 'Notes from the trail & the huts');
update_option('timezone_string', 'Europe/Zurich');
update_option('page_comments', 1); update_option('comments_per_page', 5);
update_option('default_comments_page', 'oldest'); update_option('comment_order', 'asc');
update_option('thread_comments_depth', 5);
update_option('category_base', 'topics'); update_option('tag_base', 'keyword');
global $wp_rewrite; $wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->set_category_base('topics'); $wp_rewrite->set_tag_base('keyword');
if (get_page_by_path('first-snow-on-the-pass', OBJECT, 'post')) { exit(0); }
add_theme_support('post-formats', ['aside', 'quote', 'audio']);

function cat_id($name, $parent = 0) {
    $t = term_exists($name, 'category');
    if (!$t) { $t = wp_insert_term($name, 'category', ['parent' => $parent]); }
    return intval(is_array($t) ? $t['term_id'] : $t);
}
// A file of the media library, as WordPress's uploader stores it.
function upload_file($name, $bytes, $post = 0) {
    $tmp = wp_tempnam($name); file_put_contents($tmp, $bytes);
    $id = media_handle_sideload(['name' => $name, 'tmp_name' => $tmp], $post, $name);
    if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\n"); exit(1); }
    return $id;
}
// A second of silence: an MP3 frame header and zeros is enough for a file
// WordPress files as audio; the video the same for MP4's `ftyp` box.
$mp3 = upload_file('valley.mp3', "ID3\x03\x00\x00\x00\x00\x00\x00" . str_repeat("\xff\xfb\x90\x00" . str_repeat("\x00", 413), 40));
$mp4 = upload_file('stream.mp4', "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" . str_repeat("\x00", 2048));
// A picture larger than WordPress's 2560 px threshold: kept as
// `summit-scaled.jpg`, its upload as `original_image`.
$im = imagecreatetruecolor(3000, 1500);
imagefill($im, 0, 0, imagecolorallocate($im, 40, 80, 120));
imagestring($im, 5, 40, 40, 'Summit', imagecolorallocate($im, 255, 255, 255));
$tmp = wp_tempnam('summit'); imagejpeg($im, $tmp, 80);
$summit = media_handle_sideload(['name' => 'summit.jpg', 'tmp_name' => $tmp], 0, 'The summit');
$summit_large = wp_get_attachment_image_src($summit, 'large');
$mp3_url = wp_get_attachment_url($mp3); $mp4_url = wp_get_attachment_url($mp4);

$trails = cat_id('Trails'); $huts = cat_id('Huts'); $alpine = cat_id('Alpine', $trails);
$mia = username_exists('mia') ?: wp_insert_user(['user_login' => 'mia', 'user_pass' => 'peer-bench-password',
    'user_email' => 'mia@example.org', 'display_name' => 'Mia Keller', 'role' => 'author']);

$publish = function ($title, $content, $date, $more = []) use ($trails) {
    return wp_insert_post(array_merge(['post_title' => $title, 'post_content' => $content, 'post_status' => 'publish',
        'post_date' => $date, 'post_category' => [$trails], 'post_author' => 1], $more));
};
$c = function ($post, $args) {
    return wp_insert_comment(array_merge(['comment_post_ID' => $post, 'comment_author_IP' => '192.0.2.9',
        'comment_agent' => 'Mozilla/5.0', 'comment_approved' => 1], $args));
};

// A post at half past midnight, Zurich time: filed under that day.
$snow = $publish('First snow on the pass',
    "<!-- wp:paragraph -->\n<p>The pass closed early this year.</p>\n<!-- /wp:paragraph -->\n\n"
    . "<!-- wp:image {\"id\":$summit,\"sizeSlug\":\"large\"} -->\n<figure class=\"wp-block-image size-large\"><img src=\"{$summit_large[0]}\" alt=\"The summit\" class=\"wp-image-$summit\"/></figure>\n<!-- /wp:image -->\n\n"
    . "<!-- wp:paragraph -->\n<p>More in <a href=\"$site/topics/trails/\">Trails</a> and <a href=\"$site/keyword/snow/\">snow</a>.</p>\n<!-- /wp:paragraph -->",
    '2023-01-15 00:30:00', ['tags_input' => ['snow'], 'post_category' => [$alpine]]);
$c($snow, ['comment_author' => 'walker.jones@example.net', 'comment_author_email' => 'walker.jones@example.net',
    'comment_content' => 'Lovely photos, thanks!', 'comment_date' => '2023-01-16 09:00:00']);

$secret = $publish('The secret route', '<p>Take the left fork after the ZANZIBARQUOKKA cairn.</p><!--more--><p>Then climb.</p>',
    '2023-02-10 10:00:00', ['post_password' => 'alpine', 'post_excerpt' => 'EXCERPTSECRETWORD marks the way.', 'tags_input' => ['routes']]);
$c($secret, ['comment_author' => 'Mia', 'comment_author_email' => 'mia@example.net',
    'comment_content' => 'I found COMMENTSECRETWORD there too.', 'comment_date' => '2023-02-11 10:00:00']);
$publish('Private notes', '<p>PRIVATESECRETWORD for me alone.</p>', '2023-03-01 12:00:00', ['post_status' => 'private']);
$publish('A draft', '<p>Not yet.</p>', '2023-03-02 12:00:00', ['post_status' => 'draft']);
$publish('Next winter', '<p>Soon.</p>', '2031-01-01 12:00:00', ['post_status' => 'future']);

$aside = $publish('', '<p>Short aside: the hut is open again.</p>', '2023-03-05 08:00:00', ['post_category' => [$huts]]);
set_post_format($aside, 'aside');
$aside2 = $publish('', '<p>Another aside: bring a headlamp.</p>', '2023-03-06 08:00:00', ['post_category' => [$huts]]);
set_post_format($aside2, 'aside');
$quote = $publish('On mountains', "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>The mountains are calling.</p><cite>John Muir</cite></blockquote>\n<!-- /wp:quote -->",
    '2023-03-07 08:00:00');
set_post_format($quote, 'quote');

$sounds = $publish('Sounds of the valley',
    "[audio mp3=\"$mp3_url\"][/audio]\n\n"
    . "<!-- wp:video {\"id\":$mp4} -->\n<figure class=\"wp-block-video\"><video controls src=\"$mp4_url\"></video></figure>\n<!-- /wp:video -->\n\n"
    . "[video width=\"640\" height=\"360\" mp4=\"$mp4_url\"][/video]\n\n"
    . "[embed]https://www.youtube.com/watch?v=dQw4w9WgXcQ[/embed]\n\n"
    . "<!-- wp:embed {\"url\":\"https://vimeo.com/76979871\",\"type\":\"video\",\"providerNameSlug\":\"vimeo\"} -->\n"
    . "<figure class=\"wp-block-embed is-type-video is-provider-vimeo wp-block-embed-vimeo\"><div class=\"wp-block-embed__wrapper\">\nhttps://vimeo.com/76979871\n</div></figure>\n<!-- /wp:embed -->",
    '2023-04-02 18:00:00');
set_post_format($sounds, 'audio');
wp_update_post(['ID' => $mp3, 'post_parent' => $sounds]); wp_update_post(['ID' => $mp4, 'post_parent' => $sounds]);

// Renamed after publishing: WordPress keeps the old slug (`_wp_old_slug`).
$renamed = $publish('An old walk', '<p>Formerly known by another name.</p>', '2023-05-20 09:00:00');
wp_update_post(['ID' => $renamed, 'post_title' => 'A walk renamed', 'post_name' => 'a-walk-renamed']);

$publish('A three-day traverse', "<!-- wp:paragraph -->\n<p>Day one: to the hut.</p>\n<!-- /wp:paragraph -->\n\n"
    . "<!-- wp:nextpage -->\n<!--nextpage-->\n<!-- /wp:nextpage -->\n\n"
    . "<!-- wp:paragraph -->\n<p>Day two: over the pass.</p>\n<!-- /wp:paragraph -->\n\n<!--nextpage-->\n\n<p>Day three: down to the valley.</p>",
    '2023-06-01 08:00:00');

// Twelve threads on one post: three pages of five.
$busy = $publish('Which boots?', '<p>Tell me your boots.</p>', '2023-07-01 08:00:00', ['post_author' => $mia]);
for ($i = 1; $i <= 12; $i++) {
    $parent = $c($busy, ['comment_author' => "Hiker $i", 'comment_author_email' => "hiker$i@example.net",
        'comment_content' => "Boots number $i.", 'comment_date' => sprintf('2023-07-%02d 09:00:00', $i + 1)]);
    if ($i % 4 == 0) {
        $c($busy, ['comment_author' => 'Mia Keller', 'comment_author_email' => 'mia@example.org', 'user_id' => $mia,
            'comment_content' => "Good choice, $i.", 'comment_parent' => $parent, 'comment_date' => sprintf('2023-07-%02d 10:00:00', $i + 1)]);
    }
}
for ($i = 1; $i <= 22; $i++) {
    $publish("Walk number $i", "<p>Notes from walk $i.</p>", sprintf('2022-%02d-%02d 12:00:00', ($i % 12) + 1, ($i % 27) + 1),
        ['tags_input' => [$i % 2 ? 'snow' : 'summer']]);
}

$about = wp_insert_post(['post_title' => 'About', 'post_name' => 'about', 'post_type' => 'page', 'post_status' => 'publish',
    'post_content' => '<p>Two walkers and their notes.</p>']);
wp_insert_post(['post_title' => 'The secret page', 'post_name' => 'secret-page', 'post_type' => 'page', 'post_status' => 'publish',
    'post_password' => 'alpine', 'post_content' => '<p>PAGESECRETWORD lives here.</p>', 'post_parent' => $about]);

flush_rewrite_rules();
echo get_permalink($snow) . "\n";
