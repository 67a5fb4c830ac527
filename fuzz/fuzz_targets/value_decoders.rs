//! The value decoders (`FromValue`): a cell of any kind with any content, read as any
//! supported Rust type, is the value or an error naming the mismatch, never a panic. The
//! first byte picks the kind of cell, the rest is its content.
#![no_main]

use aludel::sql::{FromValue, Value};
use libfuzzer_sys::fuzz_target;

fn cell(data: &[u8]) -> Option<Value> {
    let (&kind, rest) = data.split_first()?;
    let text = || String::from_utf8_lossy(rest).into_owned();
    let int = || {
        let mut b = [0u8; 8];
        let n = rest.len().min(8);
        b[..n].copy_from_slice(&rest[..n]);
        i64::from_le_bytes(b)
    };
    Some(match kind % 10 {
        0 => Value::Text(text()),
        1 => Value::Bytes(rest.to_vec()),
        2 => Value::Int(int()),
        3 => Value::Float(f64::from_bits(int() as u64)),
        4 => Value::Bool(rest.first().is_some_and(|b| b & 1 == 1)),
        5 => Value::Decimal(rust_decimal::Decimal::from_i128_with_scale(
            i128::from(int()),
            u32::from(kind) % 29,
        )),
        6 => Value::Date(chrono::NaiveDate::from_num_days_from_ce_opt(int() as i32)?),
        7 => Value::Json(serde_json::from_slice(rest).ok()?),
        8 => Value::Uuid(uuid::Uuid::from_slice(rest.get(..16)?).ok()?),
        _ => Value::Array(rest.iter().map(|b| Value::Int(i64::from(*b))).collect()),
    })
}

/// Decodes `value` as `T`: whatever the outcome, it must come back as a `Result`.
fn read<T: FromValue>(value: &Value) {
    let _ = T::from_value(value.clone());
}

fuzz_target!(|data: &[u8]| {
    let Some(value) = cell(data) else {
        return;
    };
    read::<bool>(&value);
    read::<i8>(&value);
    read::<i16>(&value);
    read::<i32>(&value);
    read::<i64>(&value);
    read::<u8>(&value);
    read::<u16>(&value);
    read::<u32>(&value);
    read::<u64>(&value);
    read::<f32>(&value);
    read::<f64>(&value);
    read::<String>(&value);
    read::<Vec<u8>>(&value);
    read::<chrono::NaiveDate>(&value);
    read::<chrono::NaiveTime>(&value);
    read::<chrono::NaiveDateTime>(&value);
    read::<chrono::DateTime<chrono::Utc>>(&value);
    read::<rust_decimal::Decimal>(&value);
    read::<uuid::Uuid>(&value);
    read::<serde_json::Value>(&value);
    read::<Option<String>>(&value);
});
