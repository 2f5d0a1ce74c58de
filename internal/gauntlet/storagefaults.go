package gauntlet

import (
	"fmt"
	"time"
)

// The crash-point and storage fault kinds. They go through each node's
// fault file system (a faultfs.FS under its storage, told what to do by a
// control file: testkit.Ensemble.ArmCrash and SetStorageFault).
const (
	CrashPoint Fault = "crash-point" // crash a node at a random crash point, dropping what it had not fsynced (crash.go)
	DiskFull   Fault = "disk-full"   // one node's writes fail with ENOSPC for a while
	FsyncEIO   Fault = "fsync-eio"   // one node's fsyncs fail with EIO: it must stop; restarted on a healthy disk
)

// diskFull fills one node's disk (every write and create fails with
// ENOSPC) for a while, then frees it. The node must refuse writes
// meanwhile, ack nothing it could not persist, and rejoin once space
// returns.
func (s *scheduler) diskFull() error {
	id := s.random()
	if s.rng.Intn(2) == 0 {
		id = s.leader()
	}
	d := s.between(2*time.Second, 8*time.Second)
	s.tl.add("%s: node %d's disk is full for %s", DiskFull, id, d)
	if err := s.e.SetStorageFault(id, "enospc"); err != nil {
		return err
	}
	time.Sleep(d)
	s.tl.add("node %d has space again", id)
	return s.e.SetStorageFault(id, "none")
}

// fsyncEIO fails one node's fsyncs with EIO. The node must stop rather
// than ack what may not be on disk (after a failed fsync the kernel may
// have dropped the pages: fsyncgate); it is restarted on a healthy disk
// and recovers from what the disk holds.
func (s *scheduler) fsyncEIO() error {
	id := s.random()
	if s.rng.Intn(2) == 0 {
		id = s.leader()
	}
	s.tl.add("%s: node %d's fsyncs fail with EIO", FsyncEIO, id)
	if err := s.e.SetStorageFault(id, "eio-fsync"); err != nil {
		return err
	}
	stopped := false
	if ch := s.e.Exited(id); ch != nil {
		select {
		case <-ch:
			stopped = true
		case <-time.After(10 * time.Second):
		}
	}
	if err := s.e.SetStorageFault(id, "none"); err != nil {
		return err
	}
	if !stopped {
		// Under the workload every node fsyncs many times a second.
		s.tl.add("node %d did NOT stop within 10s of failing fsyncs; kill -9 it", id)
		s.stuck = append(s.stuck, fmt.Sprintf("node %d went on for 10s with its fsyncs failing (EIO)", id))
	} else {
		s.tl.add("node %d stopped", id)
	}
	s.e.Kill9(id)
	time.Sleep(100 * time.Millisecond) // a fault file system polls its control file; this one is gone anyway
	s.tl.add("restart node %d on a healthy disk", id)
	return s.e.Start(id)
}
