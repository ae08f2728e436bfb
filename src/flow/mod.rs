pub mod stream_head;
