package wal

// LastSnapshot is the newest valid snapshot's zxid and the path of its
// file, for the AdminServer's last_snapshot (which reports the file's
// modification time, as ZooKeeper does).
func (s *Store) LastSnapshot() (zxid uint64, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest, s.snapPath(s.latest)
}
