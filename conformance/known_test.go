package conformance

// knownDiffs lists the scenarios whose duet trace differs from CPython's,
// with the analysis: a duet bug not fixed yet, or a difference the owners
// of the core have still to rule on. Such a scenario logs its diff and
// passes, so the suite stays green; once it matches, the suite fails until
// the entry is removed. Keep each entry precise enough to act on: what duet
// does, what CPython does, where, and the fix.
var knownDiffs = map[string]string{
	"task_names": "duet numbers default task names with the task id (aio.Spawn: \"Task-\"+id), which a task given a " +
		"name also uses up, so the next unnamed task is Task-4; CPython 3.13 counts only unnamed tasks (Task-3). " +
		"3.11 and 3.12 behave like duet; cosmetic.",
}
