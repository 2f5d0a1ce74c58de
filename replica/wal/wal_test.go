package wal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestEpochsPersist(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.AcceptedEpoch() != 0 || l.CurrentEpoch() != 0 {
		t.Fatal("fresh dir has epochs")
	}
	if err := l.SetAcceptedEpoch(7); err != nil {
		t.Fatal(err)
	}
	if err := l.SetCurrentEpoch(6); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = Open(dir, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.AcceptedEpoch() != 7 || l.CurrentEpoch() != 6 {
		t.Fatalf("reopened epochs %d/%d, want 7/6", l.AcceptedEpoch(), l.CurrentEpoch())
	}
	if _, err := os.Stat(filepath.Join(dir, versionDir, "acceptedEpoch.tmp")); !os.IsNotExist(err) {
		t.Error("temporary epoch file left behind")
	}
}

func TestCorruptEpochReported(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, versionDir), 0o755)
	os.WriteFile(filepath.Join(dir, versionDir, "acceptedEpoch"), []byte("7x\n"), 0o644)
	_, err := Open(dir, "", Options{})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with a corrupt epoch file: %v, want ErrCorrupt", err)
	}
}
