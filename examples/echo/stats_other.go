//go:build !unix

package main

// statsOnSignal does nothing: there is no SIGUSR1 here.
func statsOnSignal() {}
