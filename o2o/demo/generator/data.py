"""Fixed vocabulary of the demo: Shanghai districts, Chinese names, the product range.

Everything here is plain data; the generator draws from it with a seeded random generator.
"""

from decimal import Decimal

# (code, name, centre latitude, centre longitude, streets with shops). The centres lie within
# about 15 km of People's Square, so the stores look like one city's chain on a map.
DISTRICTS: list[tuple[str, str, float, float, list[str]]] = [
    ("HP", "黄浦区", 31.2317, 121.4846, ["南京东路", "淮海中路", "西藏南路", "复兴中路"]),
    ("JA", "静安区", 31.2450, 121.4560, ["南京西路", "江宁路", "延安中路", "大宁路"]),
    ("XH", "徐汇区", 31.1880, 121.4370, ["漕溪北路", "肇嘉浜路", "衡山路", "天钥桥路"]),
    ("CN", "长宁区", 31.2200, 121.4200, ["长宁路", "仙霞路", "天山路", "定西路"]),
    ("HK", "虹口区", 31.2646, 121.5050, ["四川北路", "曲阳路", "东大名路", "西江湾路"]),
    ("PD", "浦东新区", 31.2210, 121.5440, ["世纪大道", "张杨路", "东方路", "锦绣路"]),
]
BRAND = "邻里优选"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚文辉玲华红鑫宇浩婷雪琳晨欣怡佳涵梓轩博思雨嘉晓俊建国海燕斌慧颖瑶"

# Mainland mobile prefixes that phonenumbers accepts as valid (154 is not allocated).
MOBILE_PREFIXES = [*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159, *range(180, 190)]

# (slug, name, parent slug, SKU code prefix)
CATEGORIES: list[tuple[str, str, str | None, str]] = [
    ("food", "食品饮料", None, "FD"),
    ("drinks", "饮料冲调", "food", "DR"),
    ("snacks", "休闲零食", "food", "SN"),
    ("grain-oil", "粮油调味", "food", "GO"),
    ("dairy-fresh", "乳品鲜食", "food", "DF"),
    ("household", "日用百货", None, "HH"),
    ("cleaning", "家居清洁", "household", "CL"),
    ("personal-care", "个人护理", "household", "PC"),
    ("health", "健康药房", None, "HE"),
    ("otc", "常用药品", "health", "RX"),
    ("supplements", "营养保健", "health", "VT"),
    ("auto", "汽车用品", None, "AU"),
    ("apparel", "服饰鞋袜", None, "AP"),
]

Variant = tuple[dict[str, str], Decimal]


def sizes(*pairs: tuple[str, str]) -> list[Variant]:
    """Variants that differ by pack size ("规格") only, each with its shelf price."""
    return [({"规格": size}, Decimal(price)) for size, price in pairs]


def clothes(price: str, sizes_: list[str], colours: list[str]) -> list[Variant]:
    return [({"尺码": s, "颜色": c}, Decimal(price)) for c in colours for s in sizes_]


# (category slug, product name, unit, variants)
PRODUCTS: list[tuple[str, str, str, list[Variant]]] = [
    ("drinks", "矿泉水", "瓶", sizes(("550ml", "2.00"), ("1.5L", "4.50"), ("4L", "9.90"))),
    ("drinks", "无糖绿茶", "瓶", sizes(("500ml", "4.50"), ("900ml", "7.00"))),
    ("drinks", "可乐", "瓶", sizes(("330ml", "3.00"), ("500ml", "3.80"), ("2L", "8.50"))),
    ("drinks", "橙汁", "瓶", sizes(("300ml", "6.50"), ("1L", "15.90"))),
    ("drinks", "冷萃咖啡", "瓶", sizes(("270ml", "8.90"))),
    ("drinks", "苏打水", "瓶", sizes(("350ml", "4.00"))),
    ("snacks", "薯片", "袋", sizes(("70g", "7.50"), ("135g", "12.90"))),
    ("snacks", "苏打饼干", "袋", sizes(("100g", "5.90"), ("400g", "16.80"))),
    ("snacks", "每日坚果", "盒", sizes(("25g×7", "39.90"), ("25g×30", "129.00"))),
    ("snacks", "黑巧克力", "块", sizes(("100g", "18.90"))),
    ("snacks", "牛肉干", "袋", sizes(("100g", "29.90"), ("250g", "65.00"))),
    ("grain-oil", "东北大米", "袋", sizes(("2.5kg", "32.90"), ("5kg", "59.90"), ("10kg", "109.00"))),
    ("grain-oil", "花生油", "桶", sizes(("1.8L", "45.90"), ("5L", "119.00"))),
    ("grain-oil", "生抽酱油", "瓶", sizes(("500ml", "12.90"), ("1.9L", "29.90"))),
    ("grain-oil", "挂面", "袋", sizes(("1kg", "11.90"))),
    ("dairy-fresh", "纯牛奶", "盒", sizes(("250ml×12", "49.90"), ("1L", "16.90"))),
    ("dairy-fresh", "原味酸奶", "杯", sizes(("200g", "6.90"), ("1kg", "24.90"))),
    ("dairy-fresh", "鲜鸡蛋", "盒", sizes(("10枚", "15.90"), ("30枚", "39.90"))),
    ("cleaning", "洗衣液", "瓶", sizes(("1kg", "19.90"), ("3kg", "49.90"))),
    ("cleaning", "洗洁精", "瓶", sizes(("1.29kg", "12.90"))),
    ("cleaning", "抽纸", "提", sizes(("3层100抽×6包", "19.90"), ("3层120抽×12包", "36.90"))),
    ("cleaning", "垃圾袋", "卷", sizes(("45×50cm×30只", "6.90"))),
    ("personal-care", "牙膏", "支", sizes(("120g", "12.90"), ("180g", "18.90"))),
    ("personal-care", "洗发水", "瓶", sizes(("400ml", "39.90"), ("750ml", "59.90"))),
    ("personal-care", "沐浴露", "瓶", sizes(("720ml", "45.90"))),
    ("otc", "布洛芬缓释胶囊", "盒", sizes(("0.3g×20粒", "16.80"))),
    ("otc", "感冒灵颗粒", "盒", sizes(("10g×9袋", "13.50"))),
    ("otc", "医用外科口罩", "盒", sizes(("10只", "9.90"), ("50只", "35.00"))),
    ("otc", "创可贴", "盒", sizes(("100片", "15.00"))),
    ("otc", "75%酒精消毒液", "瓶", sizes(("500ml", "9.90"))),
    ("supplements", "维生素C片", "瓶", sizes(("100片", "39.00"))),
    ("supplements", "钙维D片", "瓶", sizes(("60片", "68.00"))),
    ("supplements", "鱼油软胶囊", "瓶", sizes(("100粒", "128.00"))),
    ("auto", "全合成机油", "桶", sizes(("0W-20 4L", "329.00"), ("5W-30 4L", "299.00"))),
    ("auto", "玻璃水", "桶", sizes(("-25℃ 2L", "19.90"), ("0℃ 2L", "9.90"))),
    ("auto", "雨刮片", "对", sizes(("22+18英寸", "89.00"), ("24+16英寸", "89.00"))),
    ("auto", "车载香薰", "个", sizes(("木质香", "49.00"), ("柑橘香", "49.00"))),
    ("apparel", "纯棉T恤", "件", clothes("79.00", ["S", "M", "L", "XL"], ["白色", "黑色"])),
    ("apparel", "运动袜", "双", clothes("15.90", ["均码"], ["白色", "灰色"])),
    ("apparel", "棒球帽", "顶", clothes("59.00", ["均码"], ["藏青", "米色"])),
]

# Made-up brands, so no real trademark appears in screenshots.
BRANDS = ["清泉", "绿源", "鲜丰", "禾田", "味之源", "沪上", "洁丽", "康宁", "安途", "棉舍", "悦享", "百味"]
