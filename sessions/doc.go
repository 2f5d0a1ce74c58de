// Package sessions owns session expiry: the leader's session table as a
// pure state machine (Tracker), and its actor shell.
//
// Every node's store (package store) tells its local tracker which
// sessions the replicated state holds: a full table when the node starts
// leading (Reset), deltas as createSession and closeSession txns apply,
// and Reset with Leading false when it stops. Only a leading tracker keeps
// a table. Each node's store sends the leader's tracker a Touch batch
// every tick with the sessions its clients were heard from (any request,
// including pings). A session expires when no touch arrived for its
// timeout, rounded up to the next expiry bucket (ZooKeeper's
// ExpiryQueue with expirationInterval = tickTime); the tracker then asks
// its store to close it (Expire), and the store proposes a closeSession
// txn that deletes the session's ephemerals in the same txn.
//
// A new leader starts every session's clock afresh (ZooKeeper's
// SessionTrackerImpl does the same after an election): sessions whose
// clients moved during the election are not expired all at once.
//
// It must not read clocks or use global randomness: time is Tick.
package sessions
