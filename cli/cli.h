/* cli.h — the `ipsecha` command-line tool: subcommand registration and the
 * helpers every subcommand shares (errors, JSON output, number parsing).
 *
 * A subcommand lives in cli/cmd_<name>.c and registers itself with
 * CLI_COMMAND(); main.c dispatches on argv[1]. This keeps the parts (card,
 * xdp, agent) independent: adding a subcommand touches no shared file. */
#ifndef IPSECHA_CLI_H
#define IPSECHA_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* Entry point of a subcommand: argv[0] is the subcommand's name.
 * Returns the process exit status (0 success, 1 failure, 2 usage error). */
typedef int (*cli_main_fn)(int argc, char **argv);

struct cli_command {
	const char *name;
	const char *summary;   /* one line for `ipsecha help` */
	cli_main_fn main;
	struct cli_command *next;
};

void cli_register(struct cli_command *cmd);

#define CLI_COMMAND(ident, summary_, fn)                                      \
	static struct cli_command cli_cmd_##ident = { #ident, summary_, fn, 0 }; \
	__attribute__((constructor)) static void cli_reg_##ident(void)        \
	{ cli_register(&cli_cmd_##ident); }

/* Exit statuses. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Print "ipsecha: <message>" on stderr; returns CLI_FAIL (or CLI_USAGE for
 * cli_usage) so callers can `return cli_error(...)`. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict number parsing: the whole string must be a number in range
 * (decimal, or hex with 0x). Returns 0 or -EINVAL / -ERANGE. */
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_u32(const char *s, uint32_t max, uint32_t *out);

/* Print a JSON document on stdout (pretty, one document, trailing newline)
 * and release it. */
void cli_json_print(struct json_object *doc);

/* JSON helper for 64-bit unsigned values: json-c's int64 cannot carry
 * values above INT64_MAX, so those are emitted as uint64. */
struct json_object *cli_json_u64(uint64_t v);

#endif
