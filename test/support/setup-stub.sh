#!/bin/bash
# Stub of aws, curl, git and npx for test/readme-setup.test.ts. Records its argv
# (NUL-separated), the mode, path and contents of every file:// argument, and,
# for curl, standard input when an argument is "-"; curl answers like the
# GitLab API's POST /user/runners.
name="$(basename "$0")"
log="$STUB_LOG/$(date +%s%N)-$$-$name"
printf '%s\0' "$@" >"$log.argv"
for a in "$@"; do
  case "$a" in
    file://*)
      f="${a#file://}"
      stat -c '%a' "$f" >>"$log.modes"
      printf '%s\0' "$f" >>"$log.paths"
      cat "$f" >>"$log.files"
      ;;
  esac
done
prev=
for a in "$@"; do
  [ "$prev" = --answers ] && cat "$a" >>"$log.files"
  prev="$a"
done
if [ "$name" = curl ]; then
  for a in "$@"; do [ "$a" = - ] && cat >"$log.stdin"; done
  printf '{"id": 42, "token": "%s"}\n' "$STUB_API_TOKEN"
fi
exit 0
