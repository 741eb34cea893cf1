/*
 * test_names.c - matchd's name registry: ids in order of registration, O(1)
 * lookups that survive collisions, fixed capacity, invalid names refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"
#include "testutil.h"

static int
add(mj_table *t, const char *name, uint32_t *id)
{
	return mj_table_add(t, name, (uint16_t)strlen(name), id);
}

static void
test_ids_in_order_and_lookup(void **state)
{
	(void)state;
	mj_registry r;
	uint32_t id;
	char name[32];

	assert_int_equal(mj_registry_init(&r, 1000, 3), 0);
	/* enough names that many share a hash slot start */
	for (uint32_t i = 0; i < 1000; i++)
	{
		snprintf(name, sizeof(name), "S%u", i);
		assert_int_equal(add(&r.symbols, name, &id), MJ_NAME_ADDED);
		assert_int_equal(id, i);
	}
	for (uint32_t i = 0; i < 1000; i++)
	{
		snprintf(name, sizeof(name), "S%u", i);
		assert_int_equal(mj_table_find(&r.symbols, name, (uint16_t)strlen(name), &id), 0);
		assert_int_equal(id, i);
		assert_string_equal(mj_table_name(&r.symbols, i), name);
	}
	assert_int_equal(mj_table_find(&r.symbols, "S1000", 5, &id), -1);
	assert_int_equal(mj_table_find(&r.symbols, "S1", 1, &id),
	                 -1); /* a prefix is not a name */
	assert_null(mj_table_name(&r.symbols, 1000));
	/* symbols and accounts are separate namespaces */
	assert_int_equal(mj_table_find(&r.accounts, "S0", 2, &id), -1);
	mj_registry_free(&r);
}

static void
test_duplicates_capacity_and_invalid_names(void **state)
{
	(void)state;
	mj_registry r;
	uint32_t id = 99;
	char longest[MJ_NAME_MAX + 2];

	assert_int_equal(mj_registry_init(&r, 2, 2), 0);
	assert_int_equal(add(&r.accounts, "alice", &id), MJ_NAME_ADDED);
	assert_int_equal(add(&r.accounts, "alice", &id), MJ_NAME_EXISTS);
	assert_int_equal(id, 0);
	assert_int_equal(add(&r.accounts, "bob", &id), MJ_NAME_ADDED);
	assert_int_equal(add(&r.accounts, "carol", &id), MJ_NAME_FULL);
	assert_int_equal(r.accounts.count, 2);
	assert_int_equal(mj_table_add(&r.symbols, "", 0, &id), MJ_NAME_INVALID);
	assert_int_equal(mj_table_add(&r.symbols, "A\0B", 3, &id), MJ_NAME_INVALID);
	memset(longest, 'X', sizeof(longest));
	assert_int_equal(mj_table_add(&r.symbols, longest, MJ_NAME_MAX + 1, &id),
	                 MJ_NAME_INVALID);
	assert_int_equal(mj_table_add(&r.symbols, longest, MJ_NAME_MAX, &id), MJ_NAME_ADDED);
	assert_int_equal(strlen(mj_table_name(&r.symbols, id)), MJ_NAME_MAX);
	mj_registry_free(&r);
}

static void
test_as_journal_names(void **state)
{
	(void)state;
	mj_registry r;
	mj_names n;
	uint32_t id;

	assert_int_equal(mj_registry_init(&r, 4, 4), 0);
	assert_int_equal(add(&r.symbols, "ACME", &id), MJ_NAME_ADDED);
	assert_int_equal(add(&r.accounts, "acct-1", &id), MJ_NAME_ADDED);
	n = mj_registry_names(&r);
	assert_string_equal(n.symbol_name(n.ctx, 0), "ACME");
	assert_null(n.symbol_name(n.ctx, 1));
	assert_int_equal(n.account_id(n.ctx, "acct-1", 6, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(n.symbol_id(n.ctx, "acct-1", 6, &id), -1);
	mj_registry_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ids_in_order_and_lookup),
	    cmocka_unit_test(test_duplicates_capacity_and_invalid_names),
	    cmocka_unit_test(test_as_journal_names),
	};

	test_output_to_stdout();
	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
