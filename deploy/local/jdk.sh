#!/usr/bin/env bash
# deploy/local/jdk.sh - run a command with a JDK >= 21.
#
# Usage:
#   deploy/local/jdk.sh ./mvnw -B verify   # run the command with JAVA_HOME set
#   deploy/local/jdk.sh                    # print the selected JAVA_HOME
#
# Selection:
#   1. $JAVA_HOME, if $JAVA_HOME/bin/java reports Java >= 21 and it is a JDK
#      (has bin/javac);
#   2. otherwise the newest JDK (highest feature version, with bin/javac) that
#      is >= 21 under /usr/lib/jvm, /usr/local/lib/jvm or /opt/java;
#   3. otherwise an error.
# The command is exec'ed with JAVA_HOME exported and $JAVA_HOME/bin first on PATH.
set -euo pipefail

readonly MIN_FEATURE=21
readonly SEARCH_DIRS=(/usr/lib/jvm /usr/local/lib/jvm /opt/java)

# Prints the Java feature version (8, 17, 21, 25, ...) of the Java home $1,
# or nothing when it has no runnable bin/java.
feature_version() {
    local home=$1 out v=""
    [ -x "$home/bin/java" ] || return 0
    # -XshowSettings prints to stderr; it fails only when java cannot run.
    if out=$("$home/bin/java" -XshowSettings:properties -version 2>&1 </dev/null); then
        v=$(sed -n 's/^[[:space:]]*java\.specification\.version[[:space:]]*=[[:space:]]*//p' <<<"$out" | head -n 1)
        if [ -z "$v" ] && [ -r "$home/release" ]; then
            v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' "$home/release" | head -n 1)
        fi
    fi
    v=${v#1.}          # 1.8 -> 8
    v=${v%%[!0-9]*}    # 25.0.3 -> 25, 21-ea -> 21
    [ -n "$v" ] && echo "$v"
    return 0
}

is_jdk() { [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ]; }

select_java_home() {
    local v
    if [ -n "${JAVA_HOME:-}" ]; then
        v=$(feature_version "$JAVA_HOME")
        if [ -n "$v" ] && [ "$v" -ge "$MIN_FEATURE" ] && is_jdk "$JAVA_HOME"; then
            echo "$JAVA_HOME"
            return 0
        fi
        echo "jdk.sh: ignoring JAVA_HOME=$JAVA_HOME (${v:+Java $v, }need a JDK >= $MIN_FEATURE)" >&2
    fi

    local dir home real best="" best_v=0
    local -A seen=()
    for dir in "${SEARCH_DIRS[@]}"; do
        [ -d "$dir" ] || continue
        for home in "$dir"/*; do
            if [ ! -d "$home" ] || ! is_jdk "$home"; then continue; fi
            real=$(readlink -f "$home" 2>/dev/null || echo "$home")
            [ -z "${seen[$real]:-}" ] || continue
            seen[$real]=1
            v=$(feature_version "$home")
            [ -n "$v" ] || continue
            if [ "$v" -ge "$MIN_FEATURE" ] && [ "$v" -gt "$best_v" ]; then
                best=$home
                best_v=$v
            fi
        done
    done
    if [ -n "$best" ]; then
        echo "$best"
        return 0
    fi
    return 1
}

ORIG_JAVA_HOME=${JAVA_HOME:-}
if ! JAVA_HOME=$(select_java_home); then
    {
        echo "jdk.sh: error: a JDK >= $MIN_FEATURE is required, but none was found."
        echo "  Looked at JAVA_HOME (${ORIG_JAVA_HOME:-unset}) and under: ${SEARCH_DIRS[*]}."
        echo "  Install one (e.g. apt-get install openjdk-21-jdk, or Eclipse Temurin 21+) or point"
        echo "  JAVA_HOME at it:  JAVA_HOME=/path/to/jdk-21 deploy/local/jdk.sh${*:+ $*}"
    } >&2
    exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

if [ "$#" -eq 0 ]; then
    echo "$JAVA_HOME"
    exit 0
fi
exec "$@"
