#!/usr/bin/env bash
# bench/second-site/export.sh OUTDIR — builds the second WordPress site
# (second-site.php) on http://127.0.0.3:8084 with its own database and
# uploads, beside the peers of ../shared/peers/setup.sh (run that first,
# as root), and writes WordPress's own export of it and its uploads folder:
# OUTDIR/wordpress-export-second.xml, OUTDIR/wordpress-uploads-second.tar.gz.
# The site stays up, to compare with bench/wordpress-compare.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peers=${PEERS:-$here/../../../shared/peers}
out=${1:-.}; mkdir -p "$out"; out=$(cd "$out" && pwd)
HOST=127.0.0.3; PORT=${SECOND_PORT:-8084}; SITE="http://$HOST:$PORT"
DB=wordpress_second; CONTENT=/var/lib/wordpress-second/wp-content
mysqladmin ping >/dev/null 2>&1 || service mariadb start >/dev/null
PHPV=$(php -r 'echo PHP_MAJOR_VERSION.".".PHP_MINOR_VERSION;')
service "php$PHPV-fpm" start >/dev/null 2>&1 || true
mysql -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB; GRANT ALL ON $DB.* TO 'wordpress'@'localhost'; FLUSH PRIVILEGES;"
rm -rf /var/lib/wordpress-second; mkdir -p "$CONTENT/uploads"
ln -s /usr/share/wordpress/wp-content/themes "$CONTENT/themes"
ln -s /usr/share/wordpress/wp-content/plugins "$CONTENT/plugins"
chown -R www-data:www-data /var/lib/wordpress-second
cat > "/etc/wordpress/config-$HOST.php" <<PHPCONF
<?php
define('DB_NAME', '$DB'); define('DB_USER', 'wordpress');
define('DB_PASSWORD', 'peer-bench'); define('DB_HOST', 'localhost');
define('WP_CONTENT_DIR', '$CONTENT');
PHPCONF
SOCK=$(ls /run/php/php*-fpm.sock | head -n 1)
cat > /etc/nginx/conf.d/ferropress-second.conf <<NGINX
server {
  listen $HOST:$PORT;
  root /usr/share/wordpress;
  index index.php;
  location /wp-content/uploads/ { alias $CONTENT/uploads/; }
  location / { try_files \$uri \$uri/ /index.php?\$args; }
  location ~ \.php\$ {
    include snippets/fastcgi-php.conf;
    fastcgi_pass unix:$SOCK;
  }
}
NGINX
if [ -f /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then nginx -s reload; else nginx; fi
php "$here/second-site.php" "$SITE" >/dev/null
php "$here/flush-rewrites.php" "$SITE"
chown -R www-data:www-data "$CONTENT/uploads"
php "$peers/export-wxr.php" "$SITE" > "$out/wordpress-export-second.xml"
tar -C "$CONTENT" -czf "$out/wordpress-uploads-second.tar.gz" uploads
echo "$SITE"
