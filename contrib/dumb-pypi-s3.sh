#!/usr/bin/env bash
# Rebuild a dumb-pypi index from the distributions in an S3 bucket and publish
# it to S3. Made to run from cron every minute: see "S3 and cron" in the README.
#
# Set these four in the environment, or edit their defaults here. Arguments to
# this script are passed on to dumb-pypi (e.g. --title "Acme PyPI").
# For an S3-compatible store, export AWS_ENDPOINT_URL (aws CLI 1.29 / 2.13 on).
set -euo pipefail

# Where the distributions are uploaded; listed recursively.
PACKAGES_S3="${PACKAGES_S3:-s3://my-packages/pool/}"
# The URL that serves the root of that bucket: a recursive listing gives whole
# keys (pool/foo-1.0.tar.gz), which are linked below it.
PACKAGES_URL="${PACKAGES_URL:-https://packages.example/}"
# Where the index is published. Pages that dumb-pypi deletes are deleted there
# too; other files there are left alone.
INDEX_S3="${INDEX_S3:-s3://my-index/}"
# Kept between runs: the built index (so a run rewrites only what changed),
# the last listing (to read when a run fails), what was published, and the lock.
STATE_DIR="${STATE_DIR:-/var/lib/dumb-pypi-s3}"

# `aws s3 ls` prints local time and dumb-pypi reads it back in its own zone.
export TZ=UTC

PACKAGES_S3="${PACKAGES_S3%/}/"
INDEX_S3="${INDEX_S3%/}/"
# The index must not lie in the packages' folder (its pages would be listed as
# packages). The packages may lie below the index's folder: the sync never
# touches them.
keep=()
case "$INDEX_S3" in
    "$PACKAGES_S3"*)
        echo "error: INDEX_S3 ($INDEX_S3) must not be inside PACKAGES_S3 ($PACKAGES_S3)" >&2
        exit 2 ;;
esac
case "$PACKAGES_S3" in
    "$INDEX_S3"*) keep=(--exclude "${PACKAGES_S3#"$INDEX_S3"}*") ;;
esac

mkdir -p "$STATE_DIR"
exec 9>>"$STATE_DIR/run.lock"
if ! flock -n 9; then
    # The previous run is still going; the next minute will catch up.
    exit 0
fi

output="$STATE_DIR/index"
listing="$STATE_DIR/listing.txt"
stamp="$STATE_DIR/published"

# List into a file, not a pipe: a listing that fails halfway must stop the run
# before dumb-pypi sees half a list and drops the packages it did not see.
aws s3 ls --recursive "$PACKAGES_S3" > "$listing.tmp"
mv "$listing.tmp" "$listing"

# What the published index was made from. When nothing in it changed, the run
# ends here, without a build or a listing of the index bucket.
{ dumb-pypi --version; printf '%s\n' "$PACKAGES_URL" "$INDEX_S3" "$@"; cat "$listing"; } > "$stamp.tmp"
if cmp -s "$stamp.tmp" "$stamp"; then
    rm "$stamp.tmp"
    exit 0
fi

dumb-pypi \
    --package-list "$listing" \
    --packages-url "$PACKAGES_URL" \
    --output-dir "$output" \
    --previous-package-list-json "$output/packages.json" \
    "$@"

# One sync per Content-Type. Each deletes from the bucket the pages of its
# kind that dumb-pypi deleted, and nothing outside the paths dumb-pypi writes,
# so other files kept in the index bucket are safe. sync uploads a file only
# when it is newer or of another size than in the bucket, and dumb-pypi
# rewrites only what changed, so a run uploads only what changed. dumb-pypi's
# dot-files (lock, manifest, build cache, temporary files of a run that died) stay here.
publish() {
    aws s3 sync "$output" "$INDEX_S3" --delete --only-show-errors --no-progress --exclude '*' "$@" \
        --exclude '.dumb-pypi*' --exclude '*/.dumb-pypi*' ${keep[@]+"${keep[@]}"}
}
publish --include 'simple/*index.v1_json' --content-type 'application/vnd.pypi.simple.v1+json'
publish --include 'pypi/*/json' --content-type 'application/json'
# The rest, typed by extension: text/html for pages, application/json for
# packages.json, and the pages for people's feed, search data, CSS and script.
publish --include 'index.html' --include 'packages.json' --include 'simple/*' --include 'project/*' \
    --include 'list/*' --include 'changelog/*' --include 'rss/*' --include 'search/*' --include 'static/*' \
    --exclude 'simple/*index.v1_json'

mv "$stamp.tmp" "$stamp"
