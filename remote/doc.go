// Package remote runs duet futures on a cluster: the same *duet.Future as
// a thread.Pool's, produced by workers in other processes or machines, on
// NATS JetStream. Python: Dask's client.submit, Ray's .remote(),
// concurrent.futures.Executor.submit/map with remote workers.
package remote
