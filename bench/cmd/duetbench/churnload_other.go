//go:build !linux

package main

import "errors"

func cmdChurnLoad([]string) error {
	return errors.New("churnload counts descriptors in /proc and drives raw sockets: Linux only")
}
