#include "nr_ifwatch.h"
#include <errno.h>
#include <stdlib.h>
#include "iface.h"
#include "log.h"

#define EVERY_NS 1000000000ULL

int nr_ifwatch_init(struct nr_ifwatch *w, const struct nr_iface_ent *ifs, size_t n)
{
	w->ifs = ifs;
	w->n = w->left = n;
	w->next_ns = 0;
	w->gone = calloc(n ? n : 1, 1);
	return w->gone ? 0 : -ENOMEM;
}

static int listed(const struct nf_iface *list, size_t cnt, int ifindex)
{
	for (size_t i = 0; i < cnt; i++)
		if (list[i].ifindex == ifindex)
			return 1;
	return 0;
}

int nr_ifwatch_check(struct nr_ifwatch *w, uint64_t now)
{
	if (now < w->next_ns)
		return 0;
	w->next_ns = now + EVERY_NS;
	struct nf_iface *list = NULL;
	size_t cnt = 0;
	if (nf_iface_list(&list, &cnt))
		return 0;
	for (size_t i = 0; i < w->n; i++) {
		if (w->gone[i] || listed(list, cnt, w->ifs[i].ifindex))
			continue;
		w->gone[i] = 1;
		w->left--;
		if (w->left)
			nf_warn("netrace: interface %s is gone; going on with the others", w->ifs[i].name);
		else
			nf_err("netrace: interface %s is gone, and with it the last one", w->ifs[i].name);
	}
	free(list);
	return w->left ? 0 : -1;
}

void nr_ifwatch_free(struct nr_ifwatch *w)
{
	free(w->gone);
	w->gone = NULL;
}
