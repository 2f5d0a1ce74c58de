// Package jute is ZooKeeper's jute binary encoding and the records of
// zookeeper.jute that clients use (connect, request and reply headers,
// every client op's request and response, multi, watches, auth).
//
// The records' ZooKeeper values are package zk's types: opcodes, error
// codes, create modes, event types and keeper states are zk's, written as
// the jute int they are; Stat, Id and ACL are zk.Stat, zk.ID and zk.ACL,
// which the Encoder writes and the Decoder reads (Encoder.Stat, ACLs)
// field by field in .jute order. jute defines no copy of them.
//
// Encoding: big-endian int (4 bytes) and long (8), a bool byte, buffers
// and strings with an int length prefix (-1 is null), vectors with an int
// count (-1 is null). Records are their fields in .jute order. A buffer
// keeps null and empty apart both ways (nil is -1, a zero-length slice
// 0, and back), as znode data needs: ZooKeeper stores and returns each
// as it was given.
//
// The Decoder never panics and never allocates more than the bytes left
// in its input could hold: every length is checked against what remains
// (a vector's against a minimum element size) before anything is made.
// Its first error sticks, so record decoders need no checks of their own.
// FuzzDecodeRequest and FuzzDecodeConnect exercise that.
//
// It must not do I/O: framing (the 4-byte length before every packet) and
// jute.maxbuffer belong to the front end in package zkwire.
package jute
