# Sourced by the scripts that run one slow test file against every backend (load.sh,
# limits.sh): the local servers' URLs unless already set, and `run_slow TEST PATTERN
# [nextest args]`, which runs TEST's tests one at a time (so their figures are not shared
# with each other) and prints the lines matching PATTERN with the pass/fail lines.
ALUDEL_TEST_POSTGRES="${ALUDEL_TEST_POSTGRES-postgresql://postgres@127.0.0.1:5432/test}"
ALUDEL_TEST_MYSQL="${ALUDEL_TEST_MYSQL-mysql://root@127.0.0.1:3306/test}"
export ALUDEL_TEST_POSTGRES ALUDEL_TEST_MYSQL

run_slow() {
    local test="$1" pattern="$2"
    shift 2
    cargo nextest run --all-features --test "$test" --test-threads 1 --no-capture "$@" 2>&1 |
        grep -E "$pattern|PASS|FAIL|panicked|Summary"
}
