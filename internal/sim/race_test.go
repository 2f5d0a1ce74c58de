//go:build race

package sim

// raceEnabled: the race detector slows the simulation several times over,
// so the default seed counts are cut (see seeds).
const raceEnabled = true
