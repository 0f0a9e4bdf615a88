//go:build race

package main

// raceEnabled: under the race detector the inferbench processes the tests
// run are this instrumented test binary, several times slower, so a
// latency measured against an absolute bound (an SLO) is not the
// emulated platform's alone; ratios and orderings still hold.
const raceEnabled = true
