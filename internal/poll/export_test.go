package poll

// WakeWrites reports how many Wakes wrote to the wake-up fd.
func (p *Poller) WakeWrites() int64 { return p.wakeWrites.Load() }
