//! What the codec tests read replies with: messages declared the way a reader who
//! only has the `.proto` would declare them, and decoders for the bytes `curl`
//! brings back, from crates the server does not use for writing.

use std::collections::HashMap;

use crate::curl::Answer;

/// `Page` as a reader who only has the `.proto` would declare it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PagePb {
    #[prost(uint32, tag = "1")]
    pub number: u32,
    #[prost(uint32, tag = "2")]
    pub size: u32,
}

/// `Item` as a reader who only has the `.proto` would declare it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ItemPb {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(int32, tag = "2")]
    pub count: i32,
    #[prost(string, repeated, tag = "3")]
    pub tags: Vec<String>,
    #[prost(message, optional, tag = "4")]
    pub page: Option<PagePb>,
    #[prost(bool, tag = "5")]
    pub flag: bool,
}

/// Go kratos's `errors.Status`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StatusPb {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub reason: String,
    #[prost(string, tag = "3")]
    pub message: String,
    #[prost(map = "string, string", tag = "4")]
    pub metadata: HashMap<String, String>,
}

pub fn sample() -> ItemPb {
    ItemPb {
        name: "lamp".into(),
        count: 3,
        tags: vec!["red".into(), "new".into()],
        page: Some(PagePb {
            number: 2,
            size: 20,
        }),
        flag: true,
    }
}

/// What a user of each codec reads an answer with.
pub trait Decoders {
    fn yaml(&self) -> serde_yaml::Value;
    fn form(&self) -> Vec<(String, String)>;
    fn proto<M: prost::Message + Default>(&self) -> M;
    /// The root element's name, and every text node under its dotted element path.
    fn xml(&self) -> (String, Vec<(String, String)>);
}

impl Decoders for Answer {
    fn yaml(&self) -> serde_yaml::Value {
        serde_yaml::from_slice(&self.body).unwrap_or_else(|e| panic!("YAML? {e}: {}", self.text()))
    }

    fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    fn proto<M: prost::Message + Default>(&self) -> M {
        M::decode(self.body.as_slice()).expect("a protobuf body")
    }

    fn xml(&self) -> (String, Vec<(String, String)>) {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(self.text());
        let (mut path, mut texts, mut root) = (Vec::<String>::new(), Vec::new(), None);
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => {
                    let name = e.name().as_ref().to_owned();
                    if root.is_none() {
                        root = Some(name);
                    } else {
                        path.push(name);
                    }
                }
                Event::End(_) => {
                    path.pop();
                }
                Event::Empty(e) => {
                    let name = e.name().as_ref().to_owned();
                    let mut full = path.clone();
                    full.push(name);
                    texts.push((full.join("."), String::new()));
                }
                Event::Text(t) => texts.push((path.join("."), t.xml10_content().into_owned())),
                Event::Eof => break,
                _ => {}
            }
        }
        (root.expect("a root element"), texts)
    }
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
