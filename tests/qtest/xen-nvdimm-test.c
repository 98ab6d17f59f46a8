/*
 * QTest for the xen-nvdimm device
 *
 * Runs on the pc machine under the qtest accelerator, where the device
 * uses its emulated hypervisor operations.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "qobject/qdict.h"

#define MACHINE "-machine pc -accel qtest -m 256M "
#define BACKEND_SIZE (64 * MiB)
#define LABEL_SIZE (128 * KiB)

/*
 * Start QEMU with @args, expect it to fail to start, and check that its
 * error message contains @expect.
 */
static void assert_startup_error(const char *args, const char *expect)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *cmd = g_strdup_printf("%s " MACHINE "-display none "
                                           "-nodefaults %s", qemu, args);
    g_auto(GStrv) argv = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) gerr = NULL;
    int status;

    g_assert_nonnull(qemu);
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &gerr));
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &gerr));
    if (g_test_verbose()) {
        g_printerr("%s\n-> %s", cmd, err);
    }
    /* A clean exit with an error, not a crash. */
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, expect));
}

static void test_device_listed(void)
{
    QTestState *qts = qtest_init(MACHINE);
    QDict *resp = qtest_qmp(qts, "{ 'execute': 'device-list-properties',"
                            "  'arguments': { 'typename': 'xen-nvdimm' } }");
    g_autoptr(GString) names = g_string_new("");
    QListEntry *e;

    g_assert_true(qdict_haskey(resp, "return"));
    QLIST_FOREACH_ENTRY(qdict_get_qlist(resp, "return"), e) {
        QDict *prop = qobject_to(QDict, qlist_entry_obj(e));
        g_string_append_printf(names, "%s,", qdict_get_str(prop, "name"));
    }
    for (const char *p = "memdev,addr,label-size,node,unarmed,uuid,"; *p;) {
        const char *comma = strchr(p, ',');
        g_autofree char *want = g_strndup(p, comma - p + 1);

        g_assert_nonnull(strstr(names->str, want));
        p = comma + 1;
    }
    qobject_unref(resp);
    qtest_quit(qts);
}

static void test_realize(void)
{
    QTestState *qts = qtest_initf(MACHINE
        "-object memory-backend-ram,id=pm0,size=%" PRIu64 " "
        "-device xen-nvdimm,id=nv0,memdev=pm0,label-size=%" PRIu64,
        BACKEND_SIZE, LABEL_SIZE);
    QDict *resp;
    const char *err;

    resp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments':"
                     " { 'path': '/machine/peripheral/nv0', 'property': 'size' } }");
    g_assert_cmpuint(qdict_get_int(resp, "return"), ==,
                     BACKEND_SIZE - LABEL_SIZE);
    qobject_unref(resp);

    resp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments':"
                     " { 'path': '/machine/peripheral/nv0', 'property': 'memdev' } }");
    g_assert_cmpstr(qdict_get_str(resp, "return"), ==, "/objects/pm0");
    qobject_unref(resp);

    /* The guest learns about NVDIMMs at boot only. */
    resp = qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments':"
                     " { 'driver': 'xen-nvdimm', 'id': 'nv1', 'memdev': 'pm0' } }");
    g_assert_true(qdict_haskey(resp, "error"));
    err = qdict_get_str(qdict_get_qdict(resp, "error"), "desc");
    g_assert_nonnull(strstr(err, "does not support hotplugging"));
    qobject_unref(resp);
    qtest_quit(qts);
}

typedef struct BadConfig {
    const char *name;
    const char *args;
    const char *error;
} BadConfig;

static const BadConfig bad_configs[] = {
    {
        "no-memdev",
        "-device xen-nvdimm",
        "'memdev' property is not set",
    }, {
        "unknown-memdev",
        "-device xen-nvdimm,memdev=nosuch",
        "nosuch",
    }, {
        "busy-memdev",
        "-object memory-backend-ram,id=pm0,size=64M "
        "-device xen-nvdimm,memdev=pm0 -device xen-nvdimm,memdev=pm0",
        "can't use already busy memdev: pm0",
    }, {
        "label-too-small",
        "-object memory-backend-ram,id=pm0,size=64M "
        "-device xen-nvdimm,memdev=pm0,label-size=64K",
        "'label-size' (0x10000) must be 0 or at least 0x20000",
    }, {
        "label-fills-backend",
        "-object memory-backend-ram,id=pm0,size=1M "
        "-device xen-nvdimm,memdev=pm0,label-size=1M",
        "leaves no data area in memdev 'pm0'",
    },
};

static void test_bad_config(const void *data)
{
    const BadConfig *c = data;

    assert_startup_error(c->args, c->error);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/xen-nvdimm/device-listed", test_device_listed);
    qtest_add_func("/xen-nvdimm/realize", test_realize);
    for (size_t i = 0; i < ARRAY_SIZE(bad_configs); i++) {
        g_autofree char *path = g_strdup_printf("/xen-nvdimm/bad-config/%s",
                                                bad_configs[i].name);
        qtest_add_data_func(path, &bad_configs[i], test_bad_config);
    }
    return g_test_run();
}
