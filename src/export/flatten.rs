//! Flattens a serialisable record straight into spreadsheet cells by column (the CSV contract in
//! [`super::csv`]): nested objects become dotted column names, scalar lists are joined with `;`, a
//! list of objects becomes one column per member, nulls and absent values leave cells empty.
//!
//! Why a serde `Serializer` rather than `serde_json::to_value` and a walk over it: building a JSON
//! value allocates every key and value of every record; here scalars go straight into reused cells,
//! and only lists (rare, small) go through a JSON value, whose flattening rules stay the ones the
//! CSV tests check.

use serde::Serialize;
use serde::ser;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Display, Write as _};

/// Column lookups by fixed names: foldhash, not SipHash (the keys are ours, not an attacker's).
pub type Columns = HashMap<&'static str, usize, foldhash::fast::FixedState>;

/// One row of cells, refilled record after record.
pub struct Cells<'a> {
    columns: &'a Columns,
    pub cells: Vec<String>,
    /// The dotted path of the value being flattened.
    key: String,
}

#[derive(Debug)]
pub struct FlattenError(String);

impl Display for FlattenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FlattenError {}

impl ser::Error for FlattenError {
    fn custom<T: Display>(msg: T) -> Self {
        FlattenError(msg.to_string())
    }
}

fn json<T: Serialize + ?Sized>(v: &T) -> Result<Value, FlattenError> {
    serde_json::to_value(v).map_err(|e| FlattenError(e.to_string()))
}

impl<'a> Cells<'a> {
    pub fn new(columns: &'a Columns) -> Self {
        Cells {
            columns,
            cells: vec![String::new(); columns.len()],
            key: String::new(),
        }
    }

    /// Empties the row and flattens `record` into it.
    pub fn fill<T: Serialize>(&mut self, record: &T) -> Result<(), FlattenError> {
        self.cells.iter_mut().for_each(String::clear);
        self.key.clear();
        record.serialize(At { row: self })
    }

    /// Appends `.k` (or `k` at the top) to the key path; returns the length to truncate back to.
    fn push_key(&mut self, k: &str) -> usize {
        let len = self.key.len();
        if len > 0 {
            self.key.push('.');
        }
        self.key.push_str(k);
        len
    }

    /// The cell of the current key, cleared; `None` for a key that is not a column.
    fn cell(&mut self) -> Option<&mut String> {
        let col = *self.columns.get(self.key.as_str())?;
        let cell = self.cells.get_mut(col)?;
        cell.clear();
        Some(cell)
    }

    fn put(&mut self, text: impl Display) {
        if let Some(cell) = self.cell() {
            let _ = write!(cell, "{text}");
        }
    }

    /// A JSON value at the current key, by the contract's rules.
    fn value(&mut self, v: &Value) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let len = self.push_key(k);
                    self.value(v);
                    self.key.truncate(len);
                }
            }
            Value::Array(items) if items.iter().any(Value::is_object) => {
                // A list of objects: one column per member, values joined in list order.
                let mut members: BTreeMap<usize, Vec<String>> = BTreeMap::new();
                for item in items {
                    if let Value::Object(map) = item {
                        for (k, v) in map {
                            let len = self.push_key(k);
                            if let Some(&col) = self.columns.get(self.key.as_str()) {
                                members.entry(col).or_default().push(scalar(v));
                            }
                            self.key.truncate(len);
                        }
                    }
                }
                for (col, vals) in members {
                    if let Some(cell) = self.cells.get_mut(col) {
                        *cell = vals.join(";");
                    }
                }
            }
            Value::Array(items) => {
                let vals: Vec<String> = items.iter().map(scalar).collect();
                if let Some(cell) = self.cell() {
                    *cell = vals.join(";");
                }
            }
            // A null (an absent object such as `provider`) is an empty cell of every column under it.
            Value::Null => {}
            Value::String(s) => self.put(s),
            other => self.put(other),
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Serialises the value at the row's current key.
struct At<'r, 'a> {
    row: &'r mut Cells<'a>,
}

/// A list, collected as JSON values and flattened at its end.
struct List<'r, 'a> {
    row: &'r mut Cells<'a>,
    items: Vec<Value>,
    /// The key pushed for an enum variant wrapping the list, to pop at the end.
    restore: Option<usize>,
}

impl<'r, 'a> ser::Serializer for At<'r, 'a> {
    type Ok = ();
    type Error = FlattenError;
    type SerializeSeq = List<'r, 'a>;
    type SerializeTuple = List<'r, 'a>;
    type SerializeTupleStruct = List<'r, 'a>;
    type SerializeTupleVariant = List<'r, 'a>;
    type SerializeMap = Object<'r, 'a>;
    type SerializeStruct = Object<'r, 'a>;
    type SerializeStructVariant = Object<'r, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), FlattenError> {
        self.row.put(v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), FlattenError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), FlattenError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), FlattenError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), FlattenError> {
        self.row.put(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), FlattenError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), FlattenError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), FlattenError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), FlattenError> {
        self.row.put(v);
        Ok(())
    }
    // Floats, 128-bit integers and bytes take JSON's rules (NaN is null, bytes a list).
    fn serialize_f32(self, v: f32) -> Result<(), FlattenError> {
        self.row.value(&json(&v)?);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), FlattenError> {
        self.row.value(&json(&v)?);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), FlattenError> {
        self.row.value(&json(&v)?);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), FlattenError> {
        self.row.value(&json(&v)?);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), FlattenError> {
        self.row.value(&json(v)?);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), FlattenError> {
        self.row.put(v);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), FlattenError> {
        self.row.put(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), FlattenError> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), FlattenError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), FlattenError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), FlattenError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), FlattenError> {
        self.row.put(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), FlattenError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), FlattenError> {
        // JSON writes `{variant: value}`.
        let len = self.row.push_key(variant);
        v.serialize(At {
            row: &mut *self.row,
        })?;
        self.row.key.truncate(len);
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<List<'r, 'a>, FlattenError> {
        Ok(List {
            row: self.row,
            items: Vec::with_capacity(len.unwrap_or(0)),
            restore: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<List<'r, 'a>, FlattenError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<List<'r, 'a>, FlattenError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<List<'r, 'a>, FlattenError> {
        let restore = Some(self.row.push_key(variant));
        Ok(List {
            row: self.row,
            items: Vec::with_capacity(len),
            restore,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'r, 'a>, FlattenError> {
        Ok(Object {
            row: self.row,
            map_key: None,
            restore: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'r, 'a>, FlattenError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Object<'r, 'a>, FlattenError> {
        let restore = Some(self.row.push_key(variant));
        Ok(Object {
            row: self.row,
            map_key: None,
            restore,
        })
    }
}

fn push_item<T: Serialize + ?Sized>(list: &mut List<'_, '_>, v: &T) -> Result<(), FlattenError> {
    list.items.push(json(v)?);
    Ok(())
}

fn end_list(list: List<'_, '_>) -> Result<(), FlattenError> {
    list.row.value(&Value::Array(list.items));
    if let Some(len) = list.restore {
        list.row.key.truncate(len);
    }
    Ok(())
}

/// serde's four list traits differ only in their names: each element goes to the list.
macro_rules! list_trait {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for List<'_, '_> {
            type Ok = ();
            type Error = FlattenError;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), FlattenError> {
                push_item(self, v)
            }
            fn end(self) -> Result<(), FlattenError> {
                end_list(self)
            }
        }
    };
}

list_trait!(SerializeSeq, serialize_element);
list_trait!(SerializeTuple, serialize_element);
list_trait!(SerializeTupleStruct, serialize_field);
list_trait!(SerializeTupleVariant, serialize_field);

/// An object (struct or map): each member is flattened under `key.member`.
struct Object<'r, 'a> {
    row: &'r mut Cells<'a>,
    /// A map's key, between `serialize_key` and `serialize_value`.
    map_key: Option<String>,
    restore: Option<usize>,
}

impl Object<'_, '_> {
    fn member<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> Result<(), FlattenError> {
        let len = self.row.push_key(key);
        v.serialize(At {
            row: &mut *self.row,
        })?;
        self.row.key.truncate(len);
        Ok(())
    }

    fn end(self) -> Result<(), FlattenError> {
        if let Some(len) = self.restore {
            self.row.key.truncate(len);
        }
        Ok(())
    }
}

impl ser::SerializeStruct for Object<'_, '_> {
    type Ok = ();
    type Error = FlattenError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), FlattenError> {
        self.member(key, v)
    }
    fn end(self) -> Result<(), FlattenError> {
        Object::end(self)
    }
}

impl ser::SerializeStructVariant for Object<'_, '_> {
    type Ok = ();
    type Error = FlattenError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), FlattenError> {
        self.member(key, v)
    }
    fn end(self) -> Result<(), FlattenError> {
        Object::end(self)
    }
}

impl ser::SerializeMap for Object<'_, '_> {
    type Ok = ();
    type Error = FlattenError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), FlattenError> {
        // JSON object keys are strings; numbers and booleans are written as text, as serde_json does.
        self.map_key = Some(match json(key)? {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(FlattenError("a map key that is not text".into())),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), FlattenError> {
        let key = self.map_key.take().unwrap_or_default();
        self.member(&key, v)
    }
    fn end(self) -> Result<(), FlattenError> {
        Object::end(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Wrapped(u8),
        Pair(u8, u8),
        Shaped { w: u8 },
    }

    #[derive(Serialize)]
    struct Query {
        name: &'static str,
        qtype: u16,
    }

    #[derive(Serialize)]
    struct Inner {
        ja4: &'static str,
        alpn: Vec<&'static str>,
    }

    #[derive(Serialize)]
    struct Record {
        n: u64,
        neg: i32,
        ratio: f64,
        nan: f64,
        flag: bool,
        absent: Option<Inner>,
        tls: Option<Inner>,
        queries: Vec<Query>,
        kind: Kind,
        wrapped: Kind,
        pair: Kind,
        shaped: Kind,
        counts: std::collections::BTreeMap<u16, u32>,
        not_a_column: &'static str,
    }

    /// Expected cells written by hand from the CSV contract (dotted names, `;` joins, one column
    /// per member of a list of objects, null and absent empty, enum variants as JSON writes them).
    #[test]
    fn flattens_by_the_csv_contract() {
        let names = [
            "n",
            "neg",
            "ratio",
            "nan",
            "flag",
            "absent.ja4",
            "tls.ja4",
            "tls.alpn",
            "queries.name",
            "queries.qtype",
            "kind",
            "wrapped.wrapped",
            "pair.pair",
            "shaped.shaped.w",
            "counts.443",
            "counts.53",
        ];
        let columns: Columns = names.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        let record = Record {
            n: 18_446_744_073_709_551_615,
            neg: -7,
            ratio: 0.25,
            nan: f64::NAN,
            flag: true,
            absent: None,
            tls: Some(Inner {
                ja4: "t13d1516h2_8daaf6152771_b186095e22b6",
                alpn: vec!["h2", "http/1.1"],
            }),
            queries: vec![
                Query {
                    name: "a.example",
                    qtype: 1,
                },
                Query {
                    name: "",
                    qtype: 28,
                },
            ],
            kind: Kind::Plain,
            wrapped: Kind::Wrapped(9),
            pair: Kind::Pair(1, 2),
            shaped: Kind::Shaped { w: 3 },
            counts: [(443, 5), (53, 2)].into_iter().collect(),
            not_a_column: "dropped",
        };
        let mut row = Cells::new(&columns);
        row.fill(&record).unwrap();
        let expected = [
            "18446744073709551615",
            "-7",
            "0.25",
            "",
            "true",
            "",
            "t13d1516h2_8daaf6152771_b186095e22b6",
            "h2;http/1.1",
            "a.example;",
            "1;28",
            "plain",
            "9",
            "1;2",
            "3",
            "5",
            "2",
        ];
        assert_eq!(row.cells, expected);
        // Refilled: nothing of the previous record stays.
        record_two(&mut row);
    }

    fn record_two(row: &mut Cells<'_>) {
        #[derive(Serialize)]
        struct Sparse {
            n: u8,
        }
        row.fill(&Sparse { n: 1 }).unwrap();
        assert_eq!(row.cells[0], "1");
        assert!(
            row.cells[1..].iter().all(String::is_empty),
            "{:?}",
            row.cells
        );
    }
}
