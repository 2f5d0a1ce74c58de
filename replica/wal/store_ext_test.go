package wal_test

import (
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/voter"
)

// A Store is both the replica's durable Storage and the voter's EpochStore.
var (
	_ replica.Storage  = (*wal.Store)(nil)
	_ voter.EpochStore = (*wal.Store)(nil)
)
