# Shared by the benches' table programs (awk "$(cat bench/stats.awk)"'...'):
# a space-separated list of numbers sorted into a[1..k], and its ends.
function sort(list, a,   k, i, j, t) {
	k = split(list, a, " ")
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return k
}
function lo(list,   a, k) { k = sort(list, a); return k ? a[1] : "" }
function hi(list,   a, k) { k = sort(list, a); return k ? a[k] : "" }
