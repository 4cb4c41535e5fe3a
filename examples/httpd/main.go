// Command httpd will be a tiny HTTP/1.1 keep-alive responder on duet's
// event loop (issue 8); today it holds the request parser its connections
// will use, tested and fuzzed on its own.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "httpd: not yet: the server needs duet's network I/O (issue 8); the request parser is in parse.go")
	os.Exit(2)
}
