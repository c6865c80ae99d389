#!/usr/bin/env python3
"""Writes a WordPress export (WXR 1.2) of a busy blog to stdout:
POSTS posts with COMMENTS comments in all, threaded, of every status.

    bench/generate-wxr.py 1000 100000 > /tmp/big.xml
"""
import random
import sys

posts = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
total_comments = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
random.seed(42)
out = sys.stdout
words = ("pain neck back lumbar cervical fusion stimulator epidural injection relief "
         "doctor patient treatment nerve spine disc therapy recovery surgery").split()

def text(n):
    return " ".join(random.choice(words) for _ in range(n))

out.write('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
          'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
          'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n')
out.write("<title>Generated blog</title><link>https://big.example</link><wp:wxr_version>1.2</wp:wxr_version>\n")
out.write("<wp:author><wp:author_login><![CDATA[author]]></wp:author_login><wp:author_email><![CDATA[author@big.example]]></wp:author_email>"
          "<wp:author_display_name><![CDATA[The Author]]></wp:author_display_name></wp:author>\n")
for slug in ("neck", "back", "lumbar"):
    out.write(f"<wp:category><wp:category_nicename><![CDATA[{slug}]]></wp:category_nicename><wp:cat_name><![CDATA[{slug.title()}]]></wp:cat_name></wp:category>\n")
comment_id = 0
per_post = total_comments // posts
statuses = ["1"] * 8 + ["0", "spam"]
for post in range(1, posts + 1):
    day = 1 + post % 28
    out.write(f"<item><title><![CDATA[Post {post}: {text(5)}]]></title><link>https://big.example/?p={post}</link>"
              f"<dc:creator><![CDATA[author]]></dc:creator><content:encoded><![CDATA[<p>{text(300)}</p>]]></content:encoded>"
              f"<wp:post_id>{post}</wp:post_id><wp:post_date_gmt><![CDATA[2023-{1 + post % 12:02d}-{day:02d} 10:00:00]]></wp:post_date_gmt>"
              f"<wp:comment_status><![CDATA[open]]></wp:comment_status><wp:post_name><![CDATA[post-{post}]]></wp:post_name>"
              f"<wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type>"
              f'<category domain="category" nicename="{random.choice(["neck", "back", "lumbar"])}"><![CDATA[x]]></category>\n')
    first = comment_id + 1
    for _ in range(per_post):
        comment_id += 1
        parent = random.randint(first, comment_id - 1) if comment_id > first and random.random() < 0.3 else 0
        out.write(f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id><wp:comment_author><![CDATA[Reader {comment_id}]]></wp:comment_author>"
                  f"<wp:comment_author_email><![CDATA[reader{comment_id % 5000}@readers.example]]></wp:comment_author_email>"
                  f"<wp:comment_author_IP><![CDATA[198.51.100.{comment_id % 250}]]></wp:comment_author_IP>"
                  f"<wp:comment_date_gmt><![CDATA[2023-06-{1 + comment_id % 28:02d} 12:00:00]]></wp:comment_date_gmt>"
                  f"<wp:comment_content><![CDATA[{text(30)}]]></wp:comment_content><wp:comment_approved><![CDATA[{random.choice(statuses)}]]></wp:comment_approved>"
                  f"<wp:comment_type><![CDATA[comment]]></wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n")
    out.write("</item>\n")
out.write("</channel>\n</rss>\n")
