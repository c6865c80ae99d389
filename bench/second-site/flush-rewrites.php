<?php
// Rebuilds the second site's rewrite rules (Post name permalinks, the
// `topics` and `keyword` bases) in a fresh WordPress load, as saving
// Settings > Permalinks does.
$_SERVER['HTTP_HOST'] = parse_url($argv[1], PHP_URL_HOST);
$_SERVER['REQUEST_URI'] = '/'; $_SERVER['SERVER_NAME'] = $_SERVER['HTTP_HOST'];
require_once '/usr/share/wordpress/wp-load.php';
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->set_category_base('topics'); $wp_rewrite->set_tag_base('keyword');
flush_rewrite_rules();
