package server

import (
	"bytes"
	"context"
	"fmt"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/backup"
	"github.com/paddock-zk/paddock/store"
)

// takeBackup is the node's snapshot source for node snapshot save: a
// view of the applied tree, built on the store actor's goroutine a slice
// per Flush as background snapshots are, then encoded as a backup off it,
// so writes are not held up.
func (n *Node) takeBackup(ctx context.Context) ([]byte, error) {
	type result struct {
		v   store.BackupView
		err error
	}
	views := make(chan result, 1) // done must not block the actor
	err := n.storeRn.Do(ctx, func() {
		n.store.Backup(func(v store.BackupView, err error) { views <- result{v, err} })
	})
	if err != nil {
		return nil, fmt.Errorf("server: ask the store for a backup: %w", err)
	}
	var r result
	select {
	case r = <-views:
	case <-ctx.Done():
		return nil, fmt.Errorf("server: backup: %w", ctx.Err())
	}
	if r.err != nil {
		return nil, fmt.Errorf("server: take a backup: %w", r.err)
	}
	var buf bytes.Buffer
	info, err := backup.Encode(&buf, backup.Info{Ensemble: n.cfg.Ensemble, Node: uint64(n.id), Epoch: r.v.Epoch,
		Created: n.clock.Now().UTC(), Version: Version}, r.v.Tree)
	if err != nil {
		return nil, err
	}
	n.log.Info("snapshot taken for a backup", "zxid", msg.FormatZxid(info.Zxid), "epoch", info.Epoch,
		"znodes", info.Znodes, "bytes", buf.Len())
	return buf.Bytes(), nil
}
