package main

// countPrimes counts the primes in [lo, hi) by trial division: the unit of
// pure computation of the cpu and mixed workloads. compare.py has the same
// function line for line, so a chunk is the same work in every model.
func countPrimes(lo, hi int) int {
	n := 0
	for x := max(lo, 2); x < hi; x++ {
		if x%2 == 0 {
			if x == 2 {
				n++
			}
			continue
		}
		prime := true
		for d := 3; d*d <= x; d += 2 {
			if x%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			n++
		}
	}
	return n
}

// chunk is the i-th chunk of size numbers starting at chunkBase: chunks
// far from zero so that each costs about the same.
func chunk(i, size int) int {
	lo := chunkBase + i*size
	return countPrimes(lo, lo+size)
}

const chunkBase = 1_000_000
