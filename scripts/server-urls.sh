# Sourced by the scripts that run slow tests against the local servers (load.sh,
# limits.sh): the test database URLs, unless already set.
ALUDEL_TEST_POSTGRES="${ALUDEL_TEST_POSTGRES-postgresql://postgres@127.0.0.1:5432/test}"
ALUDEL_TEST_MYSQL="${ALUDEL_TEST_MYSQL-mysql://root@127.0.0.1:3306/test}"
export ALUDEL_TEST_POSTGRES ALUDEL_TEST_MYSQL
