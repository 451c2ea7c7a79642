//! Changing an extraction value by value, as the field editor does: set, remove and add values
//! of a record's field, add and remove records. Out-of-range positions change nothing.

use super::{Extraction, Field, FieldContent, Record, Value};

/// A field of a record, and which of its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub record: usize,
    pub field: String,
    pub index: usize,
}

impl Extraction {
    /// The values of a record's field (empty when the field is absent or holds records).
    pub fn field_values(&self, record: usize, field: &str) -> &[Value] {
        match self
            .records
            .get(record)
            .and_then(|r| r.field(field))
            .map(|f| &f.content)
        {
            Some(FieldContent::Values(values)) => values,
            _ => &[],
        }
    }

    /// Replaces the value at `slot`, or appends it when `slot.index` is one past the last.
    /// The field is created when the record does not have it (`list` says how it is written).
    pub fn set_value(&mut self, slot: &Slot, value: Value, list: bool) {
        let Some(values) = self.values_of(slot.record, &slot.field, list) else {
            return;
        };
        match slot.index.cmp(&values.len()) {
            std::cmp::Ordering::Less => values[slot.index] = value,
            std::cmp::Ordering::Equal => values.push(value),
            std::cmp::Ordering::Greater => {}
        }
    }

    /// Puts `value` before the value at `slot.index` (at the end when it is past the last).
    pub fn insert_value(&mut self, slot: &Slot, value: Value, list: bool) {
        if let Some(values) = self.values_of(slot.record, &slot.field, list) {
            values.insert(slot.index.min(values.len()), value);
        }
    }

    /// Swaps the value at `slot` with its neighbour after it (`later`) or before it; returns the
    /// index it moved to, or `None` at either end.
    pub fn move_value(&mut self, slot: &Slot, later: bool) -> Option<usize> {
        let values = self.values_of(slot.record, &slot.field, false)?;
        let to = if later {
            slot.index.checked_add(1)?
        } else {
            slot.index.checked_sub(1)?
        };
        if slot.index >= values.len() || to >= values.len() {
            return None;
        }
        values.swap(slot.index, to);
        Some(to)
    }

    /// Removes the value at `slot`; a field left without values means "missing".
    pub fn remove_value(&mut self, slot: &Slot) {
        if let Some(values) = self.values_of(slot.record, &slot.field, false)
            && slot.index < values.len()
        {
            values.remove(slot.index);
        }
    }

    /// Appends a record with `fields` (name, written as a list) and no values; returns its index.
    pub fn add_record(&mut self, fields: &[(String, bool)]) -> usize {
        let record = Record::new(
            fields
                .iter()
                .map(|(name, list)| Field {
                    name: name.clone(),
                    content: FieldContent::Values(Vec::new()),
                    list: *list,
                })
                .collect(),
        );
        self.records.push(record);
        self.records.len() - 1
    }

    pub fn remove_record(&mut self, record: usize) {
        if record < self.records.len() {
            self.records.remove(record);
        }
    }

    fn values_of(&mut self, record: usize, field: &str, list: bool) -> Option<&mut Vec<Value>> {
        let record = self.records.get_mut(record)?;
        if record.field(field).is_none() {
            record.fields.push(Field {
                name: field.to_string(),
                content: FieldContent::Values(Vec::new()),
                list,
            });
        }
        match &mut record.fields.iter_mut().find(|f| f.name == field)?.content {
            FieldContent::Values(values) => Some(values),
            FieldContent::Records(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(record: usize, field: &str, index: usize) -> Slot {
        Slot {
            record,
            field: field.into(),
            index,
        }
    }

    #[test]
    fn set_append_remove_and_records() {
        let mut e = Extraction::from_records(vec![Record::new(vec![Field::texts("host", ["ZnO"])])]);
        e.set_value(&slot(0, "host", 0), Value::new("TiO2"), false);
        e.set_value(&slot(0, "host", 1), Value::new("SnO2"), false);
        e.set_value(&slot(0, "host", 5), Value::new("ignored"), false);
        e.set_value(&slot(0, "dopant", 0), Value::new("Al"), true);
        assert_eq!(e.records[0].texts("host"), ["TiO2", "SnO2"]);
        assert_eq!(e.records[0].texts("dopant"), ["Al"]);
        assert!(e.records[0].field("dopant").unwrap().list);
        e.remove_value(&slot(0, "host", 0));
        assert_eq!(e.records[0].texts("host"), ["SnO2"]);
        let added = e.add_record(&[("host".into(), false), ("dopant".into(), true)]);
        assert_eq!(added, 1);
        assert!(e.records[1].texts("host").is_empty());
        e.remove_record(0);
        assert_eq!(e.records.len(), 1);
        e.remove_record(9);
        assert_eq!(e.records.len(), 1);
    }
}
