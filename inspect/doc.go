// Package inspect shows what a running program's loops, tasks, threads
// and pools are doing: a Snapshot of all of them (the task tree, what each
// task waits on, loop and pool figures), printed as a table (Python 3.14:
// `python -m asyncio ps`) or a tree (`python -m asyncio pstree`), and a
// Monitor, an http.Handler a program mounts as it mounts net/http/pprof,
// serving a live page and the same data as JSON, with scheduling lag over
// time and the advisor's flags.
//
// inspect imports aio and thread and is never imported by them: the loops
// expose what they know through aio.Loops, Loop.Snapshot and
// aio.Instrument, the pools through thread.Pools and Pool.Stats, and this
// package puts it together. Nothing here costs a program anything until it
// takes a snapshot or runs a Monitor.
package inspect
