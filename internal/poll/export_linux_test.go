package poll

// BlockingWaits makes p's waits block in epoll_wait, the fallback for an
// epoll fd the netpoller cannot watch, and reports whether they parked on
// the netpoller before.
func (p *Poller) BlockingWaits() (parked bool) {
	parked = p.sys.park.rc != nil
	p.sys.park.rc = nil
	return parked
}
