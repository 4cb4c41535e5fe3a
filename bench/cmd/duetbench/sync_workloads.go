package main

// extraWorkloads returns the workloads of the root package's
// synchronisation primitives (Lock, Queue) once they exist.
func extraWorkloads() []workload { return nil }
