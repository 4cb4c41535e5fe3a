//go:build !linux

package main

import "errors"

func cmdEchoLoad([]string) error {
	return errors.New("echoload drives sockets through epoll: Linux only")
}

func cmdUDPLoad([]string) error {
	return errors.New("udpload drives sockets through epoll: Linux only")
}
