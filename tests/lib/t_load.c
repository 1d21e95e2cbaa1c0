#include "t_load.h"
#include "t.h"
#include "log.h"
#include <errno.h>

int t_load_fixture(struct nf_bpf *b, const char *name, const struct nf_load_opts *o)
{
	size_t len;
	void *data = t_read_file(t_fixture(name), &len);
	struct nf_obj *obj = calloc(1, sizeof(*obj));
	int err = data && obj ? nf_obj_parse(obj, data, len) : -ENOENT;
	free(data);
	if (!err && (err = nf_load(b, obj, o)))
		nf_obj_free(obj);
	if (err) {
		printf("# %s: %s\n", name, err == -ENOENT && !obj->nprogs ? "cannot read" : nf_lasterr());
		free(obj);
	}
	return err;
}

void t_unload(struct nf_bpf *b)
{
	struct nf_obj *obj = (struct nf_obj *)b->obj;
	nf_unload(b);
	if (obj) {
		nf_obj_free(obj);
		free(obj);
	}
}
