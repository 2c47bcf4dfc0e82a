/* main.c — `ipsecha`: dispatch to the registered subcommands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static struct cli_command *commands;

void cli_register(struct cli_command *cmd)
{
	struct cli_command **p = &commands;

	/* Keep the list sorted so `help` is stable whatever the link order. */
	while (*p && strcmp((*p)->name, cmd->name) < 0)
		p = &(*p)->next;
	cmd->next = *p;
	*p = cmd;
}

static void help(FILE *out)
{
	fprintf(out, "usage: ipsecha <command> [args...]\n\ncommands:\n");
	for (struct cli_command *c = commands; c; c = c->next)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\n`ipsecha <command> --help` describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		help(stdout);
		return CLI_OK;
	}
	for (struct cli_command *c = commands; c; c = c->next)
		if (!strcmp(c->name, argv[1]))
			return c->main(argc - 1, argv + 1);
	return cli_usage("unknown command '%s' (try 'ipsecha help')", argv[1]);
}
