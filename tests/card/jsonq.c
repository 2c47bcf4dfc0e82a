/* jsonq.c — print values from a JSON document for the shell tests:
 *   jsonq PATH < doc.json
 * PATH is dot-separated keys; "[]" after a key (or alone) iterates an array;
 * one value per line (strings unquoted). Exit 1 if the document does not
 * parse or the path is missing — so the tests also check the JSON is valid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

static int walk(struct json_object *o, char *path)
{
	char *dot, *key = path;
	int iter = 0, rc = 0;
	size_t i, n;

	if (!path || !*path) {
		if (json_object_is_type(o, json_type_string))
			puts(json_object_get_string(o));
		else
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		return 0;
	}
	dot = strchr(path, '.');
	if (dot)
		*dot = 0;
	n = strlen(key);
	if (n >= 2 && !strcmp(key + n - 2, "[]")) {
		key[n - 2] = 0;
		iter = 1;
	}
	if (*key && !json_object_object_get_ex(o, key, &o))
		return 1;
	if (!iter)
		return walk(o, dot ? dot + 1 : NULL);
	if (!json_object_is_type(o, json_type_array))
		return 1;
	n = json_object_array_length(o);
	for (i = 0; i < n; i++) {
		char *rest = dot ? strdup(dot + 1) : NULL;

		rc |= walk(json_object_array_get_idx(o, i), rest);
		free(rest);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static char buf[1 << 22];
	struct json_object *doc;
	size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);
	char *path;

	buf[n] = 0;
	doc = json_tokener_parse(buf);
	if (!doc) {
		fprintf(stderr, "jsonq: not a JSON document\n");
		return 1;
	}
	path = argc > 1 ? strdup(argv[1]) : NULL;
	if (walk(doc, path)) {
		fprintf(stderr, "jsonq: no %s in the document\n", argc > 1 ? argv[1] : "");
		return 1;
	}
	free(path);
	json_object_put(doc);
	return 0;
}
