package conformance

// knownDiffs lists the scenarios whose duet trace differs from CPython's,
// with the analysis: a duet bug not fixed yet, or a difference the owners
// of the core have still to rule on. Such a scenario logs its diff and
// passes, so the suite stays green; once it matches, the suite fails until
// the entry is removed. Keep each entry precise enough to act on: what duet
// does, what CPython does, where, and the fix.
var knownDiffs = map[string]string{
	"cancel_catch_and_continue": "aio task.Cancel keeps the first cancel message for the task's whole life " +
		"(cancelMsg is only set when numCancel == 1 or it is empty), so a second cancellation, requested after the " +
		"first was delivered and caught, is delivered with the first one's message; CPython delivers each " +
		"cancellation with the message of the cancel() call that caused it (first message wins only among " +
		"requests pending together). Fix: clear cancelMsg when a cancellation is delivered.",
	"cancel_message_rules": "same root as cancel_catch_and_continue: aio task.Cancel keeps the FIRST message in " +
		"every case, while CPython keeps the first only when the first cancel() reached the future the task waits on " +
		"(later ones find it cancelled; the future's CancelledError carries the first message); when the task is " +
		"not waiting (not started yet, or cancelling itself while it runs) each cancel() overwrites the message " +
		"(Task.cancel: self._must_cancel = True; self._cancel_message = msg), so the LAST one is delivered. Fix: on " +
		"the mustCancel path overwrite cancelMsg with each new message, and clear it once delivered.",
	"cancel_main_leftover_spawns": "aio.Run's shutdown (aio/run.go Loop.shutdown) cancels the tasks alive when main " +
		"returns, then runs the loop until NO task is alive; a task started during that cleanup is never cancelled, so " +
		"shutdown waits for it to end by itself (here 1 s later; a task that never ends makes aio.Run hang forever). " +
		"asyncio.run cancels and gathers only the tasks alive when main returned, then closes the loop, destroying " +
		"later ones ('Task was destroyed but it is pending!'). Fix: wait only for the tasks cancelled in the first pass " +
		"and let Close destroy the rest, as asyncio does (or at least cancel newcomers in each pass, so Run cannot hang).",
	"task_names": "duet numbers default task names with the task id (aio.Spawn: \"Task-\"+id), which a task given a " +
		"name also uses up, so the next unnamed task is Task-4; CPython 3.13 counts only unnamed tasks (Task-3). " +
		"3.11 and 3.12 behave like duet; cosmetic.",
}
