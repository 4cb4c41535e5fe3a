module github.com/duet-go/duet/bench

go 1.26

require github.com/duet-go/duet v0.0.0-00010101000000-000000000000

replace github.com/duet-go/duet => ../
